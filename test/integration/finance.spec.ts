/**
 * Invoices, payments and the ledger over real HTTP: invoices from orders or direct, sending
 * posts a balanced entry, payments settle invoices, the scheduler marks overdue invoices, and
 * admins are notified of overdue invoices and failed payments.
 */
import { memberWithRole } from "../helpers/auth";
import { eventsOf } from "../helpers/events";
import { type Client, type GatewayNode, organizationGateway, type Owner } from "../helpers/gateway";
import { checkEveryTransition } from "../helpers/workflow";

let owner: Owner;
let node: GatewayNode;
let api: Client;
let base: string;
let customer: { id: string };

beforeAll(async () => {
	({ owner, node, api, base } = await organizationGateway("Finance Org", {
		SCHEDULER_INTERVAL_MS: "300",
	}));
	customer = (await api.post(`${base}/customers`, { name: "Payer", segment: "smb" })).body.data;
});

afterAll(async () => {
	await node?.stop();
});

async function invoice(extra: Record<string, unknown> = {}) {
	const res = await api.post(`${base}/invoices`, {
		customer_id: customer.id,
		items: [{ description: "Consulting", quantity: 3, unit_price: 100 }],
		tax_amount: 30,
		...extra,
	});
	expect(res.status).toBe(201);

	return res.body.data;
}

async function payment(invoiceId: string, amount: number) {
	return api.post(`${base}/payments`, { invoice_id: invoiceId, amount, method: "card" });
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
	let value = await read();
	for (let i = 0; i < 60 && !done(value); i++) {
		await new Promise((r) => setTimeout(r, 100));
		value = await read();
	}

	return value;
}

/** An order of 40.00 taken through `steps` (confirm, cancel). */
async function billableOrder(steps: string[]) {
	const sku = `BILL-${Date.now()}-${steps.join("-")}`;
	const product = (await api.post(`${base}/products`, { sku, name: "Hours", price: 10 })).body
		.data;
	const res = await api.post(`${base}/orders`, {
		customer_id: customer.id,
		items: [{ product_id: product.id, quantity: 4 }],
	});
	for (const step of steps) await api.post(`${base}/orders/${res.body.data.id}/${step}`, {});

	return res.body.data;
}

const post = (path: string) => (id: string) => api.post(`${base}/${path.replace(":id", id)}`, {});

describe("invoices", () => {
	test("an invoice from an order copies its customer, lines and amounts", async () => {
		const product = (
			await api.post(`${base}/products`, { sku: "INV-P1", name: "Tea", price: 4.5 })
		).body.data;
		const order = (
			await api.post(`${base}/orders`, {
				customer_id: customer.id,
				items: [{ product_id: product.id, quantity: 3, discount: 0.1 }],
				shipping_amount: 5,
			})
		).body.data;
		await api.post(`${base}/orders/${order.id}/confirm`, {});

		const res = await api.post(`${base}/invoices`, { order_id: order.id });

		expect(res.status).toBe(201);
		expect(res.body.data).toMatchObject({
			customer_id: customer.id,
			order_id: order.id,
			status: "draft",
			total_amount: order.total_amount,
			amount_due: order.total_amount,
			amount_paid: 0,
			shipping_amount: 5,
		});
		expect(res.body.data.items).toEqual(order.items);
		expect(res.body.data.due_date > res.body.data.issue_date).toBe(true);
	});

	test("a draft or cancelled order cannot be invoiced", async () => {
		const draft = await billableOrder([]);
		const cancelled = await billableOrder(["cancel"]);

		const fromDraft = await api.post(`${base}/invoices`, { order_id: draft.id });
		const fromCancelled = await api.post(`${base}/invoices`, { order_id: cancelled.id });

		for (const res of [fromDraft, fromCancelled]) {
			expect(res.status).toBe(409);
			expect(res.body.error.code).toBe("INVALID_STATE_TRANSITION");
		}
		expect((await api.get(`${base}/invoices?order_id=${draft.id}`)).body.data).toEqual([]);
	});

	test("an order invoiced in full cannot be invoiced again until that invoice is void", async () => {
		const order = await billableOrder(["confirm"]);
		const first = await api.post(`${base}/invoices`, { order_id: order.id });

		const again = await api.post(`${base}/invoices`, { order_id: order.id });
		await post("invoices/:id/send")(first.body.data.id);
		await post("invoices/:id/void")(first.body.data.id);
		const afterVoid = await api.post(`${base}/invoices`, { order_id: order.id });

		expect(first.status).toBe(201);
		expect(again.status).toBe(409);
		expect(again.body.error.message).toMatch(/already invoiced in full/);
		expect(afterVoid.status).toBe(201);
	});

	test("concurrent full invoices of one order: exactly one is made", async () => {
		const order = await billableOrder(["confirm"]);

		const all = await Promise.all(
			Array.from({ length: 12 }, () => api.post(`${base}/invoices`, { order_id: order.id })),
		);
		const stored = (await api.get(`${base}/invoices?order_id=${order.id}`)).body.data;

		expect(all.map((r) => r.status).sort()).toEqual([201, ...Array(11).fill(409)]);
		expect(stored).toHaveLength(1);
	});

	test("partial invoices of an order are taken up to its total, not beyond", async () => {
		const order = await billableOrder(["confirm"]);
		const part = (amount: number) =>
			api.post(`${base}/invoices`, {
				order_id: order.id,
				items: [{ description: "Part", quantity: 1, unit_price: amount }],
				tax_amount: 0,
				shipping_amount: 0,
			});

		const half = await part(order.total_amount / 2);
		const tooMuch = await part(order.total_amount / 2 + 1);
		const rest = await part(order.total_amount / 2);

		expect([half.status, tooMuch.status, rest.status]).toEqual([201, 409, 201]);
	});

	test("a direct invoice needs a customer and lines", async () => {
		const res = await api.post(`${base}/invoices`, { items: [{ quantity: 1, unit_price: 1 }] });

		expect(res.status).toBe(400);
	});

	const STATES = ["draft", "sent", "void"];
	test.each(STATES)("from %s exactly the contract's steps are allowed", async (state) => {
		await checkEveryTransition(
			{
				steps: { send: post("invoices/:id/send"), void: post("invoices/:id/void") },
				path: { draft: [], sent: ["send"], void: ["send", "void"] },
				allowed: { draft: ["send"], sent: ["void"], void: [] },
				create: async () => (await invoice()).id,
				stateOf: async (id) => (await api.get(`${base}/invoices/${id}`)).body.data.status,
			},
			state,
		);
	});

	test("sending posts a balanced entry: receivable debited, revenue and tax credited", async () => {
		const inv = await invoice();
		await post("invoices/:id/send")(inv.id);

		const entries = await api.get(`${base}/journal-entries?source_id=${inv.id}`);
		const accounts = (await api.get(`${base}/accounts`)).body.data;
		const code = (id: string) => accounts.find((a: { id: string }) => a.id === id).code;
		const [entry] = entries.body.data;

		expect(entries.body.data).toHaveLength(1);
		expect(entry).toMatchObject({
			source_type: "invoice",
			total: 330,
			reference: `invoice:${inv.id}:sent`,
		});
		expect(
			entry.lines.map((l: { account_id: string; debit: number; credit: number }) => [
				code(l.account_id),
				l.debit,
				l.credit,
			]),
		).toEqual([
			["1100", 330, 0],
			["4000", 0, 300],
			["2200", 0, 30],
		]);
	});

	test("voiding a sent invoice posts the reversing entry", async () => {
		const inv = await invoice();
		await post("invoices/:id/send")(inv.id);
		await post("invoices/:id/void")(inv.id);

		const entries = (
			await api.get(`${base}/journal-entries?source_id=${inv.id}&sort=entry_date:asc`)
		).body.data;

		expect(entries.map((e: { reference: string }) => e.reference).sort()).toEqual([
			`invoice:${inv.id}:sent`,
			`invoice:${inv.id}:void`,
		]);
	});

	test("a sent invoice past its due date becomes overdue, and the owner is notified", async () => {
		const inv = await invoice({ due_date: "2020-01-01" });
		await post("invoices/:id/send")(inv.id);

		const status = await until(
			async () => (await api.get(`${base}/invoices/${inv.id}`)).body.data.status,
			(s) => s === "overdue",
		);
		const notes = await until(
			async () => (await api.get(`${base}/notifications?type=invoice.overdue`)).body.data,
			(n) => n.some((x: { object: { id: string } }) => x.object.id === inv.id),
		);

		expect(status).toBe("overdue");
		expect(await eventsOf(api, base, inv.id, ["invoice.overdue"])).toEqual([
			["invoice.overdue", { status: "sent" }],
		]);
		expect(notes.find((x: { object: { id: string } }) => x.object.id === inv.id)).toMatchObject(
			{
				user_id: owner.user_id,
				type: "invoice.overdue",
				read_at: null,
			},
		);
	});
});

describe("payments", () => {
	test.each(["pending", "completed", "failed"])(
		"from %s exactly the contract's steps are allowed",
		async (state) => {
			await checkEveryTransition(
				{
					steps: {
						complete: post("payments/:id/complete"),
						fail: post("payments/:id/fail"),
					},
					path: { pending: [], completed: ["complete"], failed: ["fail"] },
					allowed: { pending: ["complete", "fail"], completed: [], failed: [] },
					create: async () => {
						const inv = await invoice();
						await post("invoices/:id/send")(inv.id);

						return (await payment(inv.id, 10)).body.data.id;
					},
					stateOf: async (id) =>
						(await api.get(`${base}/payments/${id}`)).body.data.status,
				},
				state,
			);
		},
	);

	test("payments settle an invoice: partly, then paid when fully covered", async () => {
		const inv = await invoice();
		await post("invoices/:id/send")(inv.id);
		const first = (await payment(inv.id, 100.5)).body.data;
		await post("payments/:id/complete")(first.id);
		const partly = (await api.get(`${base}/invoices/${inv.id}`)).body.data;
		const second = (await payment(inv.id, 229.5)).body.data;
		const completed = await post("payments/:id/complete")(second.id);
		const paid = (await api.get(`${base}/invoices/${inv.id}`)).body.data;

		expect(partly).toMatchObject({ status: "sent", amount_paid: 100.5, amount_due: 229.5 });
		expect(completed.body.data).toMatchObject({
			status: "completed",
			customer_id: customer.id,
		});
		expect(paid).toMatchObject({ status: "paid", amount_paid: 330, amount_due: 0 });
		expect(
			await eventsOf(api, base, inv.id, ["invoice.paid", "invoice.status_changed"]),
		).toEqual([
			["invoice.status_changed", { status: "draft" }],
			["invoice.status_changed", { status: "sent" }],
			["invoice.paid", { status: "sent" }],
		]);
		expect(
			await eventsOf(api, base, second.id, ["payment.created", "payment.completed"]),
		).toEqual([
			["payment.created", null],
			["payment.completed", { status: "pending" }],
		]);
		const posted = (
			await api.get(`${base}/journal-entries?source_type=payment&source_id=${second.id}`)
		).body.data;
		expect(posted[0]).toMatchObject({ total: 229.5 });
	});

	test("a payment over the amount due, on a draft invoice or in another currency is refused", async () => {
		const draft = await invoice();
		const sent = await invoice();
		await post("invoices/:id/send")(sent.id);

		expect((await payment(draft.id, 1)).status).toBe(409);
		expect((await payment(sent.id, 330.01)).status).toBe(400);
		const euro = await api.post(`${base}/payments`, {
			invoice_id: sent.id,
			amount: 1,
			currency: "EUR",
		});
		expect(euro.status).toBe(400);
		expect(euro.body.error.details[0].field).toBe("currency");
	});

	test("a failed payment is recorded with its reason and the owner is notified", async () => {
		const inv = await invoice();
		await post("invoices/:id/send")(inv.id);
		const pay = (await payment(inv.id, 5)).body.data;

		const failed = await api.post(`${base}/payments/${pay.id}/fail`, {
			reason: "card declined",
		});
		const notes = await until(
			async () => (await api.get(`${base}/notifications?type=payment.failed`)).body.data,
			(n) => n.some((x: { object: { id: string } }) => x.object.id === pay.id),
		);
		const note = notes.find((x: { object: { id: string } }) => x.object.id === pay.id);
		const read = await api.post(`${base}/notifications/${note.id}/read`, {});

		expect(failed.body.data).toMatchObject({
			status: "failed",
			failure_reason: "card declined",
		});
		expect(note.title).toContain("card declined");
		expect(read.body.data.read_at).not.toBeNull();
		expect((await api.get(`${base}/invoices/${inv.id}`)).body.data.amount_paid).toBe(0);
	});

	test("two admins each see their own notifications, whatever the other read first", async () => {
		const first = await memberWithRole(node.url, owner, "admin");
		const second = await memberWithRole(node.url, owner, "admin");
		const inv = await invoice();
		await post("invoices/:id/send")(inv.id);
		const pay = (await payment(inv.id, 5)).body.data;
		await api.post(`${base}/payments/${pay.id}/fail`, { reason: "card expired" });
		const path = `${base}/notifications?type=payment.failed`;
		const firstNotes = await until(
			async () => (await first.api.get(path)).body.data,
			(n) => n.some((x: { object: { id: string } }) => x.object.id === pay.id),
		);
		const firstNote = firstNotes.find(
			(x: { object: { id: string } }) => x.object.id === pay.id,
		);
		await first.api.get(`${base}/notifications/${firstNote.id}`);

		// The second admin's own notification is made apart from the first's: wait for it too.
		const secondNotes = await until(
			async () => (await second.api.get(path)).body.data,
			(n) => n.some((x: { object: { id: string } }) => x.object.id === pay.id),
		);
		const secondRead = await second.api.get(`${base}/notifications/${firstNote.id}`);

		expect(firstNotes.every((n: { user_id: string }) => n.user_id === first.user.id)).toBe(
			true,
		);
		expect(secondNotes.length).toBeGreaterThan(0);
		expect(secondNotes.every((n: { user_id: string }) => n.user_id === second.user.id)).toBe(
			true,
		);
		expect(secondRead.status).toBe(404);
	});

	test("a paid invoice is final; an overdue one can still be paid but not sent again", async () => {
		const paid = await invoice();
		await post("invoices/:id/send")(paid.id);
		await post("payments/:id/complete")((await payment(paid.id, 330)).body.data.id);
		const late = await invoice({ due_date: "2020-02-02" });
		await post("invoices/:id/send")(late.id);
		await until(
			async () => (await api.get(`${base}/invoices/${late.id}`)).body.data.status,
			(s) => s === "overdue",
		);

		expect((await post("invoices/:id/send")(paid.id)).status).toBe(409);
		expect((await post("invoices/:id/void")(paid.id)).status).toBe(409);
		expect((await post("invoices/:id/send")(late.id)).status).toBe(409);
		await post("payments/:id/complete")((await payment(late.id, 330)).body.data.id);
		expect((await api.get(`${base}/invoices/${late.id}`)).body.data.status).toBe("paid");
	});

	test("a partly paid invoice cannot be voided", async () => {
		const inv = await invoice();
		await post("invoices/:id/send")(inv.id);
		await post("payments/:id/complete")((await payment(inv.id, 1)).body.data.id);

		expect((await post("invoices/:id/void")(inv.id)).status).toBe(409);
	});
});

describe("journal entries", () => {
	let cash: string;
	let revenue: string;

	beforeAll(async () => {
		cash = (
			await api.post(`${base}/accounts`, { code: "1010", name: "Petty cash", type: "asset" })
		).body.data.id;
		revenue = (
			await api.post(`${base}/accounts`, {
				code: "4100",
				name: "Other income",
				type: "revenue",
			})
		).body.data.id;
	});

	test("a balanced entry is recorded; debits must equal credits or it is 400", async () => {
		const balanced = await api.post(`${base}/journal-entries`, {
			description: "Cash sale",
			lines: [
				{ account_id: cash, debit: 99.99 },
				{ account_id: revenue, credit: 99.99 },
			],
		});
		const unbalanced = await api.post(`${base}/journal-entries`, {
			lines: [
				{ account_id: cash, debit: 100 },
				{ account_id: revenue, credit: 99.99 },
			],
		});

		expect(balanced.status).toBe(201);
		expect(balanced.body.data).toMatchObject({ total: 99.99, source_type: "manual" });
		expect(unbalanced.status).toBe(400);
		expect(unbalanced.body.error.details[0].field).toBe("lines");
	});

	test("a line needs exactly one side and a known account", async () => {
		const res = await api.post(`${base}/journal-entries`, {
			lines: [
				{ account_id: cash, debit: 1, credit: 1 },
				{ account_id: "00000000-0000-4000-8000-000000000000", credit: 1 },
			],
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([
			"lines[0]",
			"lines[1].account_id",
		]);
	});

	test("entries and accounts are never deleted, and entries never changed", async () => {
		const entry = (await api.get(`${base}/journal-entries?limit=1`)).body.data[0];

		expect((await api.delete(`${base}/journal-entries/${entry.id}`)).status).toBe(405);
		expect((await api.put(`${base}/journal-entries/${entry.id}`, {})).status).toBe(405);
		expect((await api.delete(`${base}/accounts/${cash}`)).status).toBe(405);
	});
});
