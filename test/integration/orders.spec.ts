/**
 * Products and orders over real HTTP: the catalogue, order totals by the contract's money rule,
 * the order status machine (every step allowed and refused), its events, and the customer
 * analytics and sales rollups that follow orders as they are confirmed and cancelled.
 */
import { type Client, type GatewayNode, organizationGateway, type Owner } from "../helpers/gateway";
import { eventsOf } from "../helpers/events";
import { checkEveryTransition } from "../helpers/workflow";

let owner: Owner;
let node: GatewayNode;
let api: Client;
let base: string;

const STEPS = ["confirm", "process", "ship", "deliver", "cancel"] as const;
type Step = (typeof STEPS)[number];
const STATES = ["draft", "confirmed", "processing", "shipped", "delivered", "cancelled"];
/** The path from draft to each state, and the steps each state allows (contract: States). */
const PATH: Record<string, Step[]> = {
	draft: [],
	confirmed: ["confirm"],
	processing: ["confirm", "process"],
	shipped: ["confirm", "process", "ship"],
	delivered: ["confirm", "process", "ship", "deliver"],
	cancelled: ["cancel"],
};
const ALLOWED: Record<string, Step[]> = {
	draft: ["confirm", "cancel"],
	confirmed: ["process", "cancel"],
	processing: ["ship", "cancel"],
	shipped: ["deliver"],
	delivered: [],
	cancelled: [],
};
const BODY: Record<Step, unknown> = {
	confirm: {},
	process: {},
	ship: { carrier: "UPS", tracking_number: "1Z999" },
	deliver: {},
	cancel: { reason: "customer changed their mind" },
};

let seq = 0;
async function product(overrides: Record<string, unknown> = {}) {
	const res = await api.post(`${base}/products`, {
		sku: `SKU-${Date.now()}-${++seq}`,
		name: "Chai",
		price: 18,
		...overrides,
	});
	expect(res.status).toBe(201);

	return res.body.data;
}

async function customer(overrides: Record<string, unknown> = {}) {
	const res = await api.post(`${base}/customers`, {
		name: `Customer ${++seq}`,
		segment: "smb",
		...overrides,
	});

	return res.body.data;
}

async function order(customerId: string, items: unknown[], extra: Record<string, unknown> = {}) {
	const res = await api.post(`${base}/orders`, { customer_id: customerId, items, ...extra });
	expect(res.status).toBe(201);

	return res.body.data;
}

async function step(id: string, name: Step) {
	return api.post(`${base}/orders/${id}/${name}`, BODY[name]);
}

beforeAll(async () => {
	({ owner, node, api, base } = await organizationGateway("Orders Org"));
});

afterAll(async () => {
	await node?.stop();
});

describe("products", () => {
	test("a product is created with its price in major units and its sku is unique", async () => {
		const created = await product({ sku: "CHAI-1", price: 18.5, category: "Beverages" });
		const again = await api.post(`${base}/products`, { sku: "CHAI-1", name: "x", price: 1 });

		expect(created).toMatchObject({ sku: "CHAI-1", price: 18.5, currency: "USD", stock: 0 });
		expect(again.status).toBe(409);
		expect(again.body.error.details[0].field).toBe("sku");
	});

	test("a price with more decimals than the currency allows is refused", async () => {
		const res = await api.post(`${base}/products`, {
			sku: "JPY-1",
			name: "Yen",
			price: 10.5,
			currency: "JPY",
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details[0]).toMatchObject({ field: "price" });
	});
});

describe("order totals", () => {
	test("line totals round half up in minor units and the total adds tax and shipping minus discount", async () => {
		const tea = await product({ price: 14 });
		const cheese = await product({ price: 21.35 });
		const buyer = await customer();

		const created = await order(
			buyer.id,
			[
				{ product_id: tea.id, quantity: 12, discount: 0.15 },
				{ product_id: cheese.id, quantity: 3, unit_price: 0.05, discount: 0.5 },
			],
			{ tax_amount: 1.99, shipping_amount: 32.38, discount_amount: 5 },
		);

		// 14.00 × 12 × 0.85 = 142.80; 0.05 × 3 × 0.5 = 0.075 → 0.08 (half up)
		expect(created.items.map((l: { total: number }) => l.total)).toEqual([142.8, 0.08]);
		expect(created.items[0]).toMatchObject({ sku: tea.sku, name: "Chai", unit_price: 14 });
		expect(created.subtotal).toBe(142.88);
		expect(created.total_amount).toBe(172.25);
		expect(created.status).toBe("draft");
		expect(created.order_number).toMatch(/^SO-/);
	});

	test("an unknown product or a price too precise is reported by line", async () => {
		const buyer = await customer();
		const tea = await product();

		const res = await api.post(`${base}/orders`, {
			customer_id: buyer.id,
			items: [
				{ product_id: "00000000-0000-4000-8000-000000000000", quantity: 1 },
				{ product_id: tea.id, quantity: 1, unit_price: 1.234 },
			],
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([
			"items[0].product_id",
			"items[1].unit_price",
		]);
	});

	test("a draft's lines can change and its totals follow; a confirmed order's cannot", async () => {
		const tea = await product({ price: 10 });
		const created = await order((await customer()).id, [{ product_id: tea.id, quantity: 1 }]);

		const edited = await api.patch(`${base}/orders/${created.id}`, {
			items: [{ product_id: tea.id, quantity: 4 }],
		});
		await step(created.id, "confirm");
		const locked = await api.patch(`${base}/orders/${created.id}`, { shipping_amount: 3 });
		const noted = await api.patch(`${base}/orders/${created.id}`, { notes: "leave at door" });

		expect(edited.body.data.total_amount).toBe(40);
		expect(locked.status).toBe(409);
		expect(noted.status).toBe(200);
	});

	test("status and totals are read-only to clients", async () => {
		const tea = await product();
		const res = await api.post(`${base}/orders`, {
			customer_id: (await customer()).id,
			items: [{ product_id: tea.id, quantity: 1 }],
			status: "shipped",
			total_amount: 1,
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
			"status",
			"total_amount",
		]);
	});
});

describe("the order status machine", () => {
	let tea: { id: string };
	let buyer: { id: string };

	beforeAll(async () => {
		tea = await product();
		buyer = await customer();
	});

	test.each(STATES)("from %s exactly the contract's steps are allowed", async (state) => {
		await checkEveryTransition(
			{
				steps: Object.fromEntries(
					STEPS.map((name) => [name, (id: string) => step(id, name)]),
				),
				path: PATH,
				allowed: ALLOWED,
				create: async () =>
					(await order(buyer.id, [{ product_id: tea.id, quantity: 1 }])).id,
				stateOf: async (id) => (await api.get(`${base}/orders/${id}`)).body.data.status,
			},
			state,
		);
	});

	test("ship needs a carrier and keeps the tracking number; cancel needs a reason", async () => {
		const created = await order(buyer.id, [{ product_id: tea.id, quantity: 1 }]);
		await step(created.id, "confirm");
		await step(created.id, "process");

		const noCarrier = await api.post(`${base}/orders/${created.id}/ship`, {});
		const shipped = await step(created.id, "ship");
		const other = await order(buyer.id, [{ product_id: tea.id, quantity: 1 }]);
		const noReason = await api.post(`${base}/orders/${other.id}/cancel`, {});

		expect(noCarrier.status).toBe(400);
		expect(shipped.body.data).toMatchObject({
			status: "shipped",
			carrier: "UPS",
			tracking_number: "1Z999",
		});
		expect(Date.parse(shipped.body.data.shipped_at)).not.toBeNaN();
		expect(noReason.status).toBe(400);
		expect(noReason.body.error.details[0].field).toBe("reason");
	});

	test("a stale If-Match on a workflow step is 412", async () => {
		const created = await order(buyer.id, [{ product_id: tea.id, quantity: 1 }]);
		await step(created.id, "confirm");

		const res = await api.post(
			`${base}/orders/${created.id}/process`,
			{},
			{ "if-match": `"${created.id}.1"` },
		);

		expect(res.status).toBe(412);
	});

	test("only draft and cancelled orders can be deleted", async () => {
		const confirmed = await order(buyer.id, [{ product_id: tea.id, quantity: 1 }]);
		await step(confirmed.id, "confirm");
		const draft = await order(buyer.id, [{ product_id: tea.id, quantity: 1 }]);

		expect((await api.delete(`${base}/orders/${confirmed.id}`)).status).toBe(409);
		expect((await api.delete(`${base}/orders/${draft.id}`)).status).toBe(200);
	});

	test("each step records its events with the previous status", async () => {
		const created = await order(buyer.id, [{ product_id: tea.id, quantity: 1 }]);
		for (const s of ["confirm", "process", "ship", "deliver"] as Step[])
			await step(created.id, s);
		const cancelled = await order(buyer.id, [{ product_id: tea.id, quantity: 1 }]);
		await step(cancelled.id, "cancel");

		const types = [
			"order.created",
			"order.status_changed",
			"order.shipped",
			"order.delivered",
			"order.cancelled",
		];
		const events = (id: string) => eventsOf(api, base, id, types);

		expect(await events(created.id)).toEqual([
			["order.created", null],
			["order.status_changed", { status: "draft" }],
			["order.status_changed", { status: "confirmed" }],
			["order.status_changed", { status: "processing" }],
			["order.shipped", { status: "processing" }],
			["order.status_changed", { status: "shipped" }],
			["order.delivered", { status: "shipped" }],
		]);
		expect(await events(cancelled.id)).toEqual([
			["order.created", null],
			["order.status_changed", { status: "draft" }],
			["order.cancelled", { status: "draft" }],
		]);
	});
});

describe("customer orders and analytics", () => {
	test("analytics count confirmed orders, drop cancelled ones, and ignore drafts", async () => {
		const tea = await product({ price: 10 });
		const buyer = await customer();
		const a = await order(buyer.id, [{ product_id: tea.id, quantity: 1 }], {
			order_date: "2024-01-10",
		});
		const b = await order(buyer.id, [{ product_id: tea.id, quantity: 2 }], {
			order_date: "2024-02-20",
		});
		await order(buyer.id, [{ product_id: tea.id, quantity: 9 }], { order_date: "2024-03-01" });
		await step(a.id, "confirm");
		await step(b.id, "confirm");

		const before = (await api.get(`${base}/customers/${buyer.id}/analytics`)).body.data;
		await step(b.id, "cancel");
		const after = (await api.get(`${base}/customers/${buyer.id}/analytics`)).body.data;
		const listed = await api.get(`${base}/customers/${buyer.id}/orders?sort=order_date:asc`);

		expect(before).toMatchObject({
			total_orders: 2,
			total_spent: 30,
			average_order_value: 15,
			last_order_date: "2024-02-20",
		});
		expect(after).toMatchObject({
			total_orders: 1,
			total_spent: 10,
			average_order_value: 10,
			last_order_date: "2024-01-10",
		});
		expect(listed.body.pagination.total).toBe(3);
	});

	test("sales by month, week, day, customer and product agree on the grand total", async () => {
		const totals: Record<string, unknown> = {};
		for (const groupBy of ["day", "week", "month", "customer", "product"]) {
			const res = await api.get(`${base}/analytics/sales?group_by=${groupBy}`);
			expect(res.status).toBe(200);
			totals[groupBy] = res.body.data.totals;
		}
		const orders = await api.get(
			`${base}/orders?status_in=confirmed,processing,shipped,delivered&limit=100`,
		);
		const sum = orders.body.data.reduce(
			(s: number, o: { total_amount: number }) => s + Math.round(o.total_amount * 100),
			0,
		);

		expect(totals.month).toEqual(totals.day);
		expect(totals.month).toEqual(totals.week);
		expect(totals.month).toEqual(totals.customer);
		expect((totals.month as Array<{ total: number }>)[0].total).toBe(sum / 100);
	});

	test("a date range folds day buckets; group_by is required and checked", async () => {
		const inRange = await api.get(
			`${base}/analytics/sales?group_by=month&from=2024-01-01&to=2024-01-31`,
		);
		const missing = await api.get(`${base}/analytics/sales`);
		const unknown = await api.get(`${base}/analytics/sales?group_by=year`);

		expect(inRange.body.data.groups).toEqual([
			expect.objectContaining({ key: "2024-01", orders: 1, total: 10 }),
		]);
		expect(missing.status).toBe(400);
		expect(unknown.status).toBe(400);
	});

	test("orders of a customer in another organization are not found", async () => {
		const res = await api.get(`${base}/customers/00000000-0000-4000-8000-000000000000/orders`);

		expect(res.status).toBe(404);
	});
});
