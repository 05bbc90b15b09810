/**
 * Every resource of one organization, declared as one table: the collection path, the types,
 * the workflow steps. Adding a resource of the gateway is one line here.
 */
import type { ErrorDetail } from "./errors";
import type { Http } from "./http";
import { ResourceClient, withSteps } from "./resource";
import type {
	AnyResource,
	Contact,
	ContactCreate,
	Customer,
	CustomerCreate,
	MantisEvent,
	Order,
	OrderCreate,
	Product,
	ProductCreate,
	Webhook,
	WebhookCreate,
} from "./types";

/** Bulk answers: counts, and one entry per item in the order sent. */
export interface BulkResult<T> {
	succeeded: number;
	failed: number;
	results: {
		index: number;
		status: "created" | "updated" | "deleted" | "failed";
		id?: string;
		data?: T;
		error?: { code: string; message: string; details: ErrorDetail[] };
	}[];
}

export function resourcesOf(http: Http, organizationId: string) {
	const org = (path: string) => `/v1/organizations/${encodeURIComponent(organizationId)}/${path}`;
	const resource = <T extends { id: string } = AnyResource, C = Record<string, unknown>>(
		path: string,
	) => new ResourceClient<T, C, Partial<C>>(http, org(path));
	const under = (parent: string, id: string, child: string) =>
		`${parent}/${encodeURIComponent(id)}/${child}`;

	return {
		customers: Object.assign(resource<Customer, CustomerCreate>("customers"), {
			contacts: (customerId: string) =>
				resource<Contact, ContactCreate>(under("customers", customerId, "contacts")),
			interactions: (customerId: string) =>
				resource(under("customers", customerId, "interactions")),
			/** Up to 1,000 customers; valid items commit even when others fail. */
			bulkCreate: async (items: CustomerCreate[]): Promise<BulkResult<Customer>> =>
				(
					await http.request<BulkResult<Customer>>("POST", org("customers/bulk"), {
						body: { items },
						idempotencyKey: true,
					})
				).data,
		}),
		orders: withSteps(resource<Order, OrderCreate>("orders"), [
			"confirm",
			"process",
			"ship",
			"deliver",
			"cancel",
		] as const),
		products: resource<Product, ProductCreate>("products"),
		quotes: withSteps(resource("quotes"), ["send", "accept", "reject", "convert"] as const),
		invoices: withSteps(resource("invoices"), ["send", "void"] as const),
		payments: withSteps(resource("payments"), ["complete", "fail"] as const),
		leads: withSteps(resource("leads"), ["convert"] as const),
		opportunities: withSteps(resource("opportunities"), ["stage"] as const),
		accounts: resource("accounts"),
		journalEntries: resource("journal-entries"),
		tickets: resource("tickets"),
		notifications: resource("notifications"),
		members: resource("members"),
		oauthClients: resource("oauth-clients"),
		events: resource<MantisEvent, never>("events"),
		webhooks: Object.assign(
			withSteps(resource<Webhook, WebhookCreate>("webhooks"), [
				"test",
				"rotate-secret",
			] as const),
			{
				deliveries: (webhookId: string) =>
					withSteps(resource(under("webhooks", webhookId, "deliveries")), [
						"redeliver",
					] as const),
			},
		),
		apiKeys: new ResourceClient<AnyResource, Record<string, unknown>>(
			http,
			"/v1/auth/api-keys",
		),
	};
}

export type Resources = ReturnType<typeof resourcesOf>;
