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
}

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
	},
	{
		method: "PUT",
		path: `${ORG}/customers/bulk`,
		action: "customers.bulkUpdate",
		summary: "Update up to 1,000 customers",
	},
	{
		method: "DELETE",
		path: `${ORG}/customers/bulk`,
		action: "customers.bulkRemove",
		summary: "Delete up to 1,000 customers",
	},
	...resourceRoutes(`${ORG}/customers`, "customers", "customer"),

	...resourceRoutes(`${ORG}/events`, "events", "event", ["list", "get"]),

	...resourceRoutes(
		`${ORG}/webhooks/:webhook_id/deliveries`,
		"webhook-deliveries",
		"webhook delivery",
		["list", "get"],
	),
	{
		method: "POST",
		path: `${ORG}/webhooks/:webhook_id/deliveries/:id/redeliver`,
		action: "webhook-deliveries.redeliver",
		summary: "Send a webhook delivery again from its first attempt",
	},
	{
		method: "POST",
		path: `${ORG}/webhooks/:webhook_id/recover`,
		action: "webhook-deliveries.recover",
		summary: "Send again every failed or dead delivery since a time",
	},
	{
		method: "POST",
		path: `${ORG}/webhooks/:id/test`,
		action: "webhooks.test",
		summary: "Send a webhook.test event to the endpoint now",
	},
	{
		method: "POST",
		path: `${ORG}/webhooks/:id/rotate-secret`,
		action: "webhooks.rotateSecret",
		summary: "Replace the signing secret (the old one signs for 24 h more)",
	},
	...resourceRoutes(`${ORG}/webhooks`, "webhooks", "webhook"),
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

/** moleculer-web aliases: `"GET organizations/:org_id/customers": "customers.list"`. */
export function aliases(): Record<string, string> {
	return Object.fromEntries(ROUTES.map((r) => [`${r.method} ${r.path}`, r.action]));
}

/** The route an alias answers for, so the gateway knows its success status. */
export function routeOf(method: string, aliasPath: string): RestRoute | undefined {
	const path = aliasPath.replace(/^\/+/, "");

	return ROUTES.find((r) => r.method === method && r.path === path);
}
