/**
 * The sales pipeline over real HTTP: leads (states by PUT, convert), opportunities (stages) and
 * quotes (send, accept, reject, convert to an order, expiry by the scheduler).
 */
import { eventsOf } from "../helpers/events";
import {
	type Client,
	createdIn,
	type GatewayNode,
	organizationGateway,
	type Owner,
} from "../helpers/gateway";
import { checkEveryTransition } from "../helpers/workflow";

let owner: Owner;
let node: GatewayNode;
let api: Client;
let base: string;
let seq = 0;

beforeAll(async () => {
	({ owner, node, api, base } = await organizationGateway("Pipeline Org", {
		SCHEDULER_INTERVAL_MS: "300",
	}));
});

afterAll(async () => {
	await node?.stop();
});

const created = (path: string, body: Record<string, unknown>) => createdIn(api, base, path, body);

const lead = () =>
	created("leads", { name: `Lead ${++seq}`, company: `Lead Co ${seq}`, estimated_value: 1200 });

describe("leads", () => {
	const LEAD_STATES = ["new", "contacted", "qualified", "converted", "disqualified"];
	const path: Record<string, string[]> = {
		new: [],
		contacted: ["contacted"],
		qualified: ["contacted", "qualified"],
		converted: ["contacted", "qualified", "convert"],
		disqualified: ["contacted", "qualified", "disqualified"],
	};
	const allowed: Record<string, string[]> = {
		new: ["contacted"],
		contacted: ["qualified"],
		qualified: ["disqualified", "convert"],
		converted: [],
		disqualified: [],
	};
	const put = (status: string) => (id: string) => api.put(`${base}/leads/${id}`, { status });

	test.each(LEAD_STATES)("from %s exactly the contract's steps are allowed", async (state) => {
		await checkEveryTransition(
			{
				steps: {
					contacted: put("contacted"),
					qualified: put("qualified"),
					disqualified: put("disqualified"),
					convert: (id) => api.post(`${base}/leads/${id}/convert`, {}),
				},
				path,
				allowed,
				create: async () => (await lead()).id,
				putDriven: true,
				stateOf: async (id) => (await api.get(`${base}/leads/${id}`)).body.data.status,
			},
			state,
		);
	});

	test("converted is reached only through convert, never by PUT", async () => {
		const { id } = await lead();
		await put("contacted")(id);
		await put("qualified")(id);

		const res = await put("converted")(id);

		expect(res.status).toBe(409);
		expect(res.body.error.code).toBe("INVALID_STATE_TRANSITION");
	});

	test("convert makes the customer and an opportunity from the lead, and records lead.converted", async () => {
		const { id } = await created("leads", {
			name: "Maria Anders",
			company: "Alfreds Futterkiste",
			email: "maria@alfreds.test",
			estimated_value: 2500,
		});
		await put("contacted")(id);
		await put("qualified")(id);

		const res = await api.post(`${base}/leads/${id}/convert`, {
			segment: "enterprise",
			create_opportunity: true,
		});
		const customer = (await api.get(`${base}/customers/${res.body.data.customer_id}`)).body
			.data;
		const opportunity = (await api.get(`${base}/opportunities/${res.body.data.opportunity_id}`))
			.body.data;

		expect(res.status).toBe(200);
		expect(res.body.data).toMatchObject({ status: "converted" });
		expect(Date.parse(res.body.data.converted_at)).not.toBeNaN();
		expect(customer).toMatchObject({
			name: "Alfreds Futterkiste",
			email: "maria@alfreds.test",
			segment: "enterprise",
		});
		expect(opportunity).toMatchObject({
			customer_id: customer.id,
			lead_id: id,
			amount: 2500,
			stage: "prospecting",
		});
		expect(await eventsOf(api, base, id)).toEqual([
			["lead.created", null],
			["lead.updated", { status: "new" }],
			["lead.status_changed", { status: "new" }],
			["lead.updated", { status: "contacted" }],
			["lead.status_changed", { status: "contacted" }],
			["lead.qualified", { status: "contacted" }],
			[
				"lead.updated",
				{
					status: "qualified",
					customer_id: null,
					opportunity_id: null,
					converted_at: null,
				},
			],
			["lead.status_changed", { status: "qualified" }],
			["lead.converted", { status: "qualified" }],
		]);
	});

	test("a refused opportunity undoes the conversion's customer", async () => {
		const { id } = await lead();
		await put("contacted")(id);
		await put("qualified")(id);
		const before = (await api.get(`${base}/customers?limit=1`)).body.pagination.total;

		const res = await api.post(`${base}/leads/${id}/convert`, { opportunity: { amount: -5 } });

		expect(res.status).toBe(400);
		expect((await api.get(`${base}/customers?limit=1`)).body.pagination.total).toBe(before);
		expect((await api.get(`${base}/leads/${id}`)).body.data.status).toBe("qualified");
	});
});

describe("opportunities", () => {
	const STAGES = [
		"prospecting",
		"qualification",
		"proposal",
		"negotiation",
		"closed_won",
		"closed_lost",
	];
	const forward = ["qualification", "proposal", "negotiation"];
	const path: Record<string, string[]> = {
		prospecting: [],
		qualification: forward.slice(0, 1),
		proposal: forward.slice(0, 2),
		negotiation: forward,
		closed_won: [...forward, "closed_won"],
		closed_lost: [...forward, "closed_lost"],
	};
	const allowed: Record<string, string[]> = {
		prospecting: ["qualification"],
		qualification: ["proposal"],
		proposal: ["negotiation"],
		negotiation: ["closed_won", "closed_lost"],
		closed_won: [],
		closed_lost: [],
	};
	const stage = (to: string) => (id: string) =>
		api.post(`${base}/opportunities/${id}/stage`, { stage: to });

	test.each(STAGES)("from %s exactly the contract's stages are allowed", async (from) => {
		await checkEveryTransition(
			{
				steps: Object.fromEntries(STAGES.map((s) => [s, stage(s)])),
				path,
				allowed,
				create: async () =>
					(await created("opportunities", { name: `Deal ${++seq}`, amount: 100 })).id,
				stateOf: async (id) =>
					(await api.get(`${base}/opportunities/${id}`)).body.data.stage,
			},
			from,
		);
	});

	test("stages record stage_changed, and closing records won or lost", async () => {
		const won = await created("opportunities", { name: "Big deal", amount: 9000 });
		const lost = await created("opportunities", { name: "Lost deal", amount: 10 });
		for (const s of forward) {
			await stage(s)(won.id);
			await stage(s)(lost.id);
		}
		await stage("closed_won")(won.id);
		const closed = await api.post(`${base}/opportunities/${lost.id}/stage`, {
			stage: "closed_lost",
			lost_reason: "price",
		});
		const types = ["opportunity.stage_changed", "opportunity.won", "opportunity.lost"];

		expect(closed.body.data).toMatchObject({
			stage: "closed_lost",
			lost_reason: "price",
			probability: 0,
		});
		expect((await eventsOf(api, base, won.id, types)).slice(-2)).toEqual([
			["opportunity.stage_changed", { stage: "negotiation" }],
			["opportunity.won", { stage: "negotiation" }],
		]);
		expect((await eventsOf(api, base, lost.id, types)).map(([t]) => t)).toEqual([
			"opportunity.stage_changed",
			"opportunity.stage_changed",
			"opportunity.stage_changed",
			"opportunity.stage_changed",
			"opportunity.lost",
		]);
	});

	test("the stage is not writable by PUT", async () => {
		const opp = await created("opportunities", { name: "x" });

		expect(
			(await api.put(`${base}/opportunities/${opp.id}`, { stage: "closed_won" })).status,
		).toBe(400);
	});
});

describe("quotes", () => {
	let customer: { id: string };
	let product: { id: string; sku: string };

	beforeAll(async () => {
		customer = await created("customers", { name: "Quote Customer", segment: "smb" });
		product = await created("products", { sku: `Q-${Date.now()}`, name: "Chai", price: 18 });
	});

	const quote = (extra: Record<string, unknown> = {}) =>
		created("quotes", {
			customer_id: customer.id,
			items: [{ product_id: product.id, quantity: 10, discount: 0.1 }],
			tax_amount: 16.2,
			...extra,
		});
	const step = (name: string) => (id: string) => api.post(`${base}/quotes/${id}/${name}`, {});
	const QUOTE_STATES = ["draft", "sent", "accepted", "rejected"];

	test.each(QUOTE_STATES)("from %s exactly the contract's steps are allowed", async (state) => {
		await checkEveryTransition(
			{
				steps: { send: step("send"), accept: step("accept"), reject: step("reject") },
				path: {
					draft: [],
					sent: ["send"],
					accepted: ["send", "accept"],
					rejected: ["send", "reject"],
				},
				allowed: {
					draft: ["send"],
					sent: ["accept", "reject"],
					accepted: [],
					rejected: [],
				},
				create: async () => (await quote()).id,
				stateOf: async (id) => (await api.get(`${base}/quotes/${id}`)).body.data.status,
			},
			state,
		);
	});

	test("an accepted quote converts once into a draft order with the same lines and totals", async () => {
		const q = await quote();
		await step("send")(q.id);
		const early = await step("convert")(q.id);
		await step("accept")(q.id);

		const converted = await step("convert")(q.id);
		const again = await step("convert")(q.id);
		const order = (await api.get(`${base}/orders/${converted.body.data.order_id}`)).body.data;

		expect(early.status).toBe(409);
		expect(converted.status).toBe(200);
		expect(again.status).toBe(409);
		expect(q.total_amount).toBe(178.2);
		expect(order).toMatchObject({
			status: "draft",
			quote_id: q.id,
			customer_id: customer.id,
			total_amount: q.total_amount,
			tax_amount: 16.2,
		});
		expect(order.items).toEqual(q.items);
		expect(
			(await eventsOf(api, base, q.id, ["quote.sent", "quote.accepted"])).map(([t]) => t),
		).toEqual(["quote.sent", "quote.accepted"]);
	});

	test("a sent quote past valid_until is expired by the scheduler and can no longer be accepted", async () => {
		const q = await quote({ valid_until: "2020-01-31" });
		await step("send")(q.id);

		let status = "sent";
		for (let i = 0; i < 50 && status === "sent"; i++) {
			await new Promise((r) => setTimeout(r, 100));
			status = (await api.get(`${base}/quotes/${q.id}`)).body.data.status;
		}

		expect(status).toBe("expired");
		expect((await step("accept")(q.id)).status).toBe(409);
		expect(await eventsOf(api, base, q.id, ["quote.status_changed"])).toEqual([
			["quote.status_changed", { status: "draft" }],
			["quote.status_changed", { status: "sent" }],
		]);
	});

	test("only a draft quote's lines change, and only a draft is deleted", async () => {
		const q = await quote();
		const edited = await api.patch(`${base}/quotes/${q.id}`, { tax_amount: 0 });
		await step("send")(q.id);

		expect(edited.body.data.total_amount).toBe(162);
		expect((await api.patch(`${base}/quotes/${q.id}`, { tax_amount: 1 })).status).toBe(409);
		expect((await api.delete(`${base}/quotes/${q.id}`)).status).toBe(409);
	});
});
