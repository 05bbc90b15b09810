/**
 * The REST surface: every route of `/v1`, declared once. The gateway builds its aliases from
 * this table, answers 405 for a known path with another method, and the OpenAPI document is
 * generated from it. More specific paths come before the `:id` paths they would shadow.
 */

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RestRoute {
	method: Method;
	/** Relative to `/v1`, with `:name` path parameters. */
	path: string;
	action: string;
	/** Success status when not 200. */
	status?: 201 | 202 | 204;
	/** One line for the API reference. */
	summary: string;
	/** Body is taken raw (uploads, CSV imports) instead of parsed as JSON. */
	rawBody?: boolean;
	/** Units of the caller's hourly rate limit one call takes (default 1; see COST). */
	cost?: number;
	/** Takes bodies up to MAX_BULK_BODY_BYTES instead of MAX_BODY_BYTES (bulk and import). */
	largeBody?: boolean;
}

/**
 * What the heavier routes cost in rate-limit units (the design document's per-endpoint quotas):
 * a bulk call does up to 1,000 writes, an import or export walks a whole collection, a text
 * search (`q`) scans rather than uses an index.
 */
export const COST = { bulk: 10, import: 20, export: 10, search: 5 } as const;

const ORG = "organizations/:org_id";

/** list/create/get/update(PUT and PATCH)/delete of one resource at `base`. */
export function resourceRoutes(
	base: string,
	service: string,
	noun: string,
	only?: string[],
): RestRoute[] {
	const all: RestRoute[] = [
		{ method: "GET", path: base, action: `${service}.list`, summary: `List ${noun}s` },
		{
			method: "POST",
			path: base,
			action: `${service}.create`,
			status: 201,
			summary: `Create a ${noun}`,
		},
		{ method: "GET", path: `${base}/:id`, action: `${service}.get`, summary: `Get a ${noun}` },
		{
			method: "PUT",
			path: `${base}/:id`,
			action: `${service}.update`,
			summary: `Update a ${noun}`,
		},
		{
			method: "PATCH",
			path: `${base}/:id`,
			action: `${service}.update`,
			summary: `Update a ${noun}`,
		},
		{
			method: "DELETE",
			path: `${base}/:id`,
			action: `${service}.remove`,
			summary: `Delete a ${noun}`,
		},
	];

	return only ? all.filter((r) => only.includes(r.action.split(".")[1])) : all;
}

export const ROUTES: RestRoute[] = [
	{ method: "GET", path: ORG, action: "organizations.get", summary: "Get the organization" },
	{
		method: "PUT",
		path: ORG,
		action: "organizations.update",
		summary: "Update the organization",
	},
	{
		method: "PATCH",
		path: ORG,
		action: "organizations.update",
		summary: "Update the organization",
	},

	...resourceRoutes(
		`${ORG}/customers/:customer_id/contacts`,
		"customer-contacts",
		"customer contact",
	),
	...resourceRoutes(
		`${ORG}/customers/:customer_id/interactions`,
		"customer-interactions",
		"customer interaction",
	),
	{
		method: "POST",
		path: `${ORG}/customers/bulk`,
		action: "customers.bulkCreate",
		summary: "Create up to 1,000 customers",
		cost: COST.bulk,
		largeBody: true,
	},
	{
		method: "PUT",
		path: `${ORG}/customers/bulk`,
		action: "customers.bulkUpdate",
		summary: "Update up to 1,000 customers",
		cost: COST.bulk,
		largeBody: true,
	},
	{
		method: "DELETE",
		path: `${ORG}/customers/bulk`,
		action: "customers.bulkRemove",
		summary: "Delete up to 1,000 customers",
		cost: COST.bulk,
		largeBody: true,
	},
	...resourceRoutes(`${ORG}/customers`, "customers", "customer"),

	...resourceRoutes(`${ORG}/events`, "events", "event", ["list", "get"]),
	...resourceRoutes(`${ORG}/members`, "members", "member", ["list", "get"]),

	...resourceRoutes("auth/api-keys", "api-keys", "API key"),
];

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

/**
 * moleculer-web aliases: `"GET organizations/:org_id/customers": "customers.list"`; those of
 * the routes with large bodies or of the others, since the body limit is set per gateway route.
 */
export function aliases(largeBody = false): Record<string, string> {
	return Object.fromEntries(
		ROUTES.filter((r) => Boolean(r.largeBody) === largeBody).map((r) => [
			`${r.method} ${r.path}`,
			r.action,
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
