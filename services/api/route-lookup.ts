/**
 * Lookups over the REST route table (routes.ts): the methods and template of a request path,
 * the gateway's aliases per kind of body, a route by its alias, and what a call costs.
 */
import { COST, type Method, type RestRoute, ROUTES } from "./routes";

function pattern(path: string): RegExp {
	const source = path
		.split("/")
		.map((part) =>
			part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
		)
		.join("/");

	return new RegExp(`^/v1/${source}/?$`);
}

const PATTERNS = ROUTES.map((route) => ({ route, regexp: pattern(route.path) }));

/** The methods a path answers to (for 405 and `Allow`); empty when the path is unknown. */
export function methodsOf(urlPath: string): Method[] {
	return [...new Set(PATTERNS.filter((p) => p.regexp.test(urlPath)).map((p) => p.route.method))];
}

/** The template of the `/v1` route a path belongs to (`/v1/organizations/:org_id/customers`). */
export function templateOf(urlPath: string): string | undefined {
	const match = PATTERNS.find((p) => p.regexp.test(urlPath));

	return match ? `/v1/${match.route.path}` : undefined;
}

/** Which gateway route serves a REST route: the body limit and parser are set per route. */
export type BodyKind = "raw" | "large" | "json";

export function bodyKindOf(route: RestRoute): BodyKind {
	if (route.rawBody) return "raw";

	return route.largeBody ? "large" : "json";
}

/**
 * moleculer-web aliases of one kind of route: `"GET organizations/:org_id/customers":
 * "customers.list"`; raw routes read their body as a stream (`stream:` aliases, no parser).
 */
export function aliases(kind: BodyKind): Record<string, string> {
	return Object.fromEntries(
		ROUTES.filter((r) => bodyKindOf(r) === kind).map((r) => [
			`${r.method} ${r.path}`,
			kind === "raw" ? `stream:${r.action}` : r.action,
		]),
	);
}

const BY_ALIAS = new Map(ROUTES.map((r) => [`${r.method} ${r.path}`, r]));

/** The route an alias answers for, so the gateway knows its success status and cost. */
export function routeOf(method: string, aliasPath: string): RestRoute | undefined {
	return BY_ALIAS.get(`${method} ${aliasPath.replace(/^\/+/, "")}`);
}

/** Rate-limit units of one call: the route's cost, or a search's when it searches text. */
export function costOf(route: RestRoute | undefined, query: Record<string, unknown> = {}): number {
	const cost = route?.cost ?? 1;

	return query.q === undefined ? cost : Math.max(cost, COST.search);
}
