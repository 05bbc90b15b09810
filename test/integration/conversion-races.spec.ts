/**
 * Conversions raced over real HTTP: many concurrent converts of one quote or lead make exactly
 * one order or customer (and opportunity); the losers are refused and leave nothing behind.
 */
import { eventsOf } from "../helpers/events";
import { type Client, createdIn, type GatewayNode, organizationGateway } from "../helpers/gateway";

let node: GatewayNode;
let api: Client;
let base: string;
const RACERS = 6;

beforeAll(async () => {
	({ node, api, base } = await organizationGateway("Races Org"));
});

afterAll(async () => {
	await node?.stop();
});

const created = (path: string, body: Record<string, unknown>) => createdIn(api, base, path, body);

/** The same request `RACERS` times at once; the status codes, sorted. */
async function race(path: string, body: Record<string, unknown>) {
	const all = await Promise.all(
		Array.from({ length: RACERS }, () => api.post(`${base}/${path}`, body)),
	);

	return { codes: all.map((r) => r.status).sort(), winners: all.filter((r) => r.status === 200) };
}

/** Events of `type` whose object has `field` = `value` (the records a conversion made). */
async function eventsWhere(type: string, field: string, value: string) {
	const res = await api.get(`${base}/events?type_in=${type}&limit=100`);

	return res.body.data.filter(
		(e: { data: { object: Record<string, unknown> } }) => e.data.object[field] === value,
	);
}

async function qualifiedLead(company: string) {
	const lead = await created("leads", { name: "Racer", company, estimated_value: 900 });
	await api.put(`${base}/leads/${lead.id}`, { status: "contacted" });
	await api.put(`${base}/leads/${lead.id}`, { status: "qualified" });

	return lead;
}

test("concurrent conversions of one quote create exactly one order; the others are 409 and leave nothing", async () => {
	const customer = await created("customers", { name: "Quote Racer", segment: "smb" });
	const product = await created("products", { sku: `R-${Date.now()}`, name: "Tea", price: 3 });
	const q = await created("quotes", {
		customer_id: customer.id,
		items: [{ product_id: product.id, quantity: 2 }],
	});
	await api.post(`${base}/quotes/${q.id}/send`, {});
	await api.post(`${base}/quotes/${q.id}/accept`, {});

	const { codes, winners } = await race(`quotes/${q.id}/convert`, {});
	const orders = (await api.get(`${base}/orders?quote_id=${q.id}`)).body.data;
	const stored = (await api.get(`${base}/quotes/${q.id}`)).body.data;

	expect(codes).toEqual([200, ...Array(RACERS - 1).fill(409)]);
	expect(orders.map((o: { id: string }) => o.id)).toEqual([winners[0].body.data.order_id]);
	expect(stored.order_id).toBe(orders[0].id);
	expect(stored).not.toHaveProperty("claim_token");
	expect(await eventsWhere("order.created", "quote_id", q.id)).toHaveLength(1);
	expect(await eventsOf(api, base, q.id, ["quote.updated"])).toEqual([
		["quote.updated", { status: "draft", sent_at: null }],
		["quote.updated", { status: "sent", decided_at: null }],
		["quote.updated", { order_id: null }],
	]);
});

test("concurrent conversions of one lead create exactly one customer and opportunity; the others are refused and leave nothing", async () => {
	const company = `Race Co ${Date.now()}`;
	const lead = await qualifiedLead(company);

	const { codes, winners } = await race(`leads/${lead.id}/convert`, {
		create_opportunity: true,
	});
	const customers = (await api.get(`${base}/customers?limit=100`)).body.data.filter(
		(c: { name: string }) => c.name === company,
	);
	const opportunities = (await api.get(`${base}/opportunities?lead_id=${lead.id}`)).body.data;
	const stored = (await api.get(`${base}/leads/${lead.id}`)).body.data;

	expect(winners).toHaveLength(1);
	expect(codes.filter((c) => c === 409)).toHaveLength(RACERS - 1);
	expect(customers.map((c: { id: string }) => c.id)).toEqual([stored.customer_id]);
	expect(opportunities.map((o: { id: string }) => o.id)).toEqual([stored.opportunity_id]);
	expect(stored.status).toBe("converted");
	expect(stored).not.toHaveProperty("claim_token");
	expect(await eventsOf(api, base, lead.id, ["lead.converted"])).toHaveLength(1);
});

test("a conversion whose customer is refused leaves the lead qualified and nothing made, and a retry converts it", async () => {
	const company = `Retry Co ${Date.now()}`;
	const lead = await qualifiedLead(company);

	const refused = await api.post(`${base}/leads/${lead.id}/convert`, {
		customer: { segment: "not-a-segment" },
	});
	const after = (await api.get(`${base}/leads/${lead.id}`)).body.data;
	const made = await eventsWhere("customer.created", "name", company);
	const retried = await api.post(`${base}/leads/${lead.id}/convert`, {});

	expect(refused.status).toBe(400);
	expect(after.status).toBe("qualified");
	expect(after).not.toHaveProperty("claim_token");
	expect(made).toHaveLength(0);
	expect(retried.status).toBe(200);
	expect(retried.body.data.status).toBe("converted");
	expect(await eventsOf(api, base, lead.id, ["lead.converted"])).toHaveLength(1);
});
