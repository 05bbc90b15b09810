/**
 * The REST surface: every route of `/v1`, declared once. The gateway builds its aliases from
 * this table, answers 405 for a known path with another method, and the OpenAPI document is
 * generated from it. More specific paths come before the `:id` paths they would shadow.
 */
import { singularOf } from "../../models/entity";

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
	/** Largest raw body in bytes (contract: imports 50 MB, documents 10 MB); larger is 413. */
	bodyLimit?: number;
	/** Needs no credential (OAuth token endpoint, discovery). */
	public?: boolean;
	/** OpenAPI schemas for routes that are not plain resource CRUD. */
	requestSchema?: Record<string, unknown>;
	responseSchema?: Record<string, unknown>;
	/** The answer carries a secret (a token, a new key): `Cache-Control: no-store`. */
	noStore?: boolean;
	/** Units of the caller's hourly rate limit one call takes (default 1; see COST). */
	cost?: number;
	/** Takes bodies up to MAX_BULK_BODY_BYTES instead of MAX_BODY_BYTES (bulk and import). */
	largeBody?: boolean;
}

const MB = 1024 * 1024;
/** Contract: bulk and import routes take bodies up to 50 MB, streamed. */
export const IMPORT_BODY_LIMIT = 50 * MB;

/**
 * What the heavier routes cost in rate-limit units (the design document's per-endpoint quotas):
 * a bulk call does up to 1,000 writes, an import or export walks a whole collection, a text
 * search (`q`) scans rather than uses an index.
 */
export const COST = { bulk: 10, import: 20, export: 10, search: 5 } as const;

const ORG = "organizations/:org_id";

/** `POST <base>/:id/<step>` for each workflow step of a resource (contract: pinned details). */
export function workflowRoutes(base: string, service: string, steps: string[]): RestRoute[] {
	return steps.map((step) => ({
		method: "POST",
		path: `${base}/:id/${step}`,
		action: `${service}.${step}`,
		summary: `${step[0].toUpperCase()}${step.slice(1)} the ${singularOf(service)}`,
	}));
}

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

/** Products, orders and sales analytics. */
const SALES_ROUTES: RestRoute[] = [
	{
		method: "POST",
		path: `${ORG}/products/bulk-import`,
		action: "products.bulkImport",
		summary: "Create or update products by sku from CSV, NDJSON or a JSON array",
		rawBody: true,
		bodyLimit: IMPORT_BODY_LIMIT,
		cost: COST.import,
	},
	{
		method: "GET",
		path: `${ORG}/products/bulk-export`,
		action: "products.bulkExport",
		summary: "Stream every product as CSV or NDJSON",
		cost: COST.export,
	},
	...resourceRoutes(`${ORG}/products`, "products", "product"),
	{
		method: "POST",
		path: `${ORG}/orders/bulk`,
		action: "orders.bulkCreate",
		summary: "Create up to 1,000 orders",
		cost: COST.bulk,
		largeBody: true,
	},
	...workflowRoutes(`${ORG}/orders`, "orders", [
		"confirm",
		"process",
		"ship",
		"deliver",
		"cancel",
	]),
	...resourceRoutes(`${ORG}/orders`, "orders", "order"),
	{
		method: "GET",
		path: `${ORG}/analytics/sales`,
		action: "analytics.sales",
		summary: "Sales grouped by day, week, month, customer or product",
	},
];

const WITHOUT_DELETE = ["list", "create", "get", "update"];

/** Leads, opportunities, quotes, invoices, payments and the ledger. */
const PIPELINE_AND_FINANCE_ROUTES: RestRoute[] = [
	...workflowRoutes(`${ORG}/leads`, "leads", ["convert"]),
	...resourceRoutes(`${ORG}/leads`, "leads", "lead"),
	...workflowRoutes(`${ORG}/opportunities`, "opportunities", ["stage"]),
	...resourceRoutes(`${ORG}/opportunities`, "opportunities", "opportunity"),
	...workflowRoutes(`${ORG}/quotes`, "quotes", ["send", "accept", "reject", "convert"]),
	...resourceRoutes(`${ORG}/quotes`, "quotes", "quote"),
	...workflowRoutes(`${ORG}/invoices`, "invoices", ["send", "void"]),
	...resourceRoutes(`${ORG}/invoices`, "invoices", "invoice", WITHOUT_DELETE),
	...workflowRoutes(`${ORG}/payments`, "payments", ["complete", "fail"]),
	...resourceRoutes(`${ORG}/payments`, "payments", "payment", WITHOUT_DELETE),
	...resourceRoutes(`${ORG}/accounts`, "accounts", "account", WITHOUT_DELETE),
	...resourceRoutes(`${ORG}/journal-entries`, "journal-entries", "journal entry", [
		"list",
		"create",
		"get",
	]),
];

/** Tickets, documents and notifications. */
const SUPPORT_ROUTES: RestRoute[] = [
	...resourceRoutes(`${ORG}/tickets`, "tickets", "ticket", WITHOUT_DELETE),
	{
		method: "POST",
		path: `${ORG}/documents`,
		action: "documents.upload",
		status: 201,
		summary: "Upload a document (raw body or multipart/form-data, at most 10 MB)",
		rawBody: true,
		// The file may be 10 MB; a multipart body adds its boundaries and form fields.
		bodyLimit: 10 * MB + 64 * 1024,
	},
	{
		method: "GET",
		path: `${ORG}/documents/:id/download`,
		action: "documents.download",
		summary: "Download a document's file",
	},
	...workflowRoutes(`${ORG}/documents`, "documents", ["share"]),
	...resourceRoutes(`${ORG}/documents`, "documents", "document", ["list", "get", "remove"]),
	{
		method: "GET",
		path: "shared/documents/:token",
		action: "documents.shared",
		summary: "Download a shared document by its signed link (no credential)",
		public: true,
	},
	{
		method: "POST",
		path: `${ORG}/notifications/read-all`,
		action: "notifications.markAllRead",
		summary: "Mark all of your notifications read",
	},
	{
		method: "POST",
		path: `${ORG}/notifications/:id/read`,
		action: "notifications.markRead",
		summary: "Mark a notification read",
	},
	...resourceRoutes(`${ORG}/notifications`, "notifications", "notification", ["list", "get"]),
];
/** Resources whose creation answers a secret once (API keys, client secrets). */
function secretOnCreate(routes: RestRoute[]): RestRoute[] {
	return routes.map((r) => (r.action.endsWith(".create") ? { ...r, noStore: true } : r));
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
	{
		method: "GET",
		path: `${ORG}/customers/:customer_id/analytics`,
		action: "analytics.customer",
		summary: "A customer's orders, spend, average order value and last order date",
	},
	{
		method: "GET",
		path: `${ORG}/customers/:customer_id/orders`,
		action: "orders.listForCustomer",
		summary: "List a customer's orders",
	},
	...resourceRoutes(`${ORG}/customers`, "customers", "customer"),
	...SALES_ROUTES,
	...PIPELINE_AND_FINANCE_ROUTES,
	...SUPPORT_ROUTES,

	...resourceRoutes(`${ORG}/events`, "events", "event", ["list", "get"]),
	...secretOnCreate(resourceRoutes(`${ORG}/members`, "members", "member")),
	...secretOnCreate(resourceRoutes(`${ORG}/oauth-clients`, "oauth-clients", "OAuth client")),

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
		noStore: true,
		summary: "Replace the signing secret (the old one signs for 24 h more)",
	},
	...secretOnCreate(resourceRoutes(`${ORG}/webhooks`, "webhooks", "webhook")),

	...secretOnCreate(resourceRoutes("auth/api-keys", "api-keys", "API key")),
	{
		method: "POST",
		path: "auth/invitations/accept",
		action: "members.acceptInvitation",
		summary: "Accept an invitation with its token and a password",
	},
	{
		method: "POST",
		path: "auth/sessions",
		action: "sessions.open",
		status: 201,
		noStore: true,
		summary: "Sign in with email and password",
	},
	{
		method: "GET",
		path: "auth/sessions/current",
		action: "sessions.current",
		summary: "The session of the access token",
	},
	{
		method: "DELETE",
		path: "auth/sessions/:id",
		action: "sessions.remove",
		summary: "Sign a session out (`current` for the caller's own)",
	},
	{
		method: "GET",
		path: "auth/sessions/:user_id/devices",
		action: "sessions.devices",
		summary: "A user's signed-in devices",
	},
];
