/**
 * GraphQL over HTTP for the workflows around orders against a real gateway process: quotes and
 * leads converted, invoices and payments, tickets and opportunities, the customer's relations
 * and computed figures, `customerAnalytics`, `salesAnalytics`, `search` across types, and
 * `Idempotency-Key` on mutations.
 */
import { type GatewayNode } from "../helpers/gateway";
import { graphqlClient, type GraphqlRequest, startGraphqlGateway } from "../helpers/graphql";
import { confirmedOrder, data, newCustomer, newOrder, newProduct } from "../helpers/graphql-sales";

let node: GatewayNode;
let gql: GraphqlRequest;
let otherGql: GraphqlRequest;
let productId: string;

type Row = Record<string, unknown>;

beforeAll(async () => {
	const gateway = await startGraphqlGateway("Workflow Org", "Other Workflow Org");
	node = gateway.node;
	[gql, otherGql] = gateway.clients;
	productId = await newProduct(gql, 20);
});

afterAll(async () => {
	await node?.stop();
});

describe("workflow mutations", () => {
	test("a quote is sent, accepted and converted to an order with its lines, linked both ways", async () => {
		const customerId = await newCustomer(gql);
		const quote = await data<{ createQuote: { id: string } }>(
			gql,
			`mutation($c: ID!, $p: ID!) { createQuote(input: { customerId: $c,
				items: [{ productId: $p, quantity: 4 }] }) { id } }`,
			{ c: customerId, p: productId },
		);
		const id = quote.createQuote.id;

		const early = await gql("mutation($id: ID!) { convertQuoteToOrder(quoteId: $id) { id } }", {
			id,
		});
		const out = await data<{ c: Row }>(
			gql,
			`mutation($id: ID!) { a: sendQuote(id: $id) { status } b: acceptQuote(id: $id) { status }
				c: convertQuoteToOrder(quoteId: $id) { id status totalAmount items { quantity }
					quote { id status orderId } customer { id quotes { id } orders { id } } } }`,
			{ id },
		);

		expect(early.body.errors[0].extensions.code).toBe("INVALID_STATE_TRANSITION");
		expect(out.c).toMatchObject({
			status: "DRAFT",
			totalAmount: 80,
			items: [{ quantity: 4 }],
			quote: { id, status: "ACCEPTED", orderId: out.c.id },
			customer: { id: customerId, quotes: [{ id }], orders: [{ id: out.c.id }] },
		});
	});

	test("convertLeadToCustomer answers the converted lead, its new customer and the opportunity", async () => {
		const lead = await data<{ createLead: { id: string } }>(
			gql,
			`mutation { createLead(input: { name: "Lead Person", company: "Lead Co",
				email: "lead@example.com", source: REFERRAL }) { id } }`,
		);
		const id = lead.createLead.id;
		const convert = `mutation($id: ID!) { convertLeadToCustomer(leadId: $id,
			input: { segment: MID_MARKET, createOpportunity: true }) {
			lead { id status customerId opportunityId } customer { id name segment }
			opportunity { id customer { id } } } }`;
		const early = await gql(convert, { id });
		await data(
			gql,
			`mutation($id: ID!) { a: updateLead(id: $id, input: { status: CONTACTED }) { id }
				b: updateLead(id: $id, input: { status: QUALIFIED }) { id } }`,
			{ id },
		);

		const out = await data<{ convertLeadToCustomer: Record<string, Row> }>(gql, convert, {
			id,
		});
		const again = await gql(convert, { id });

		const { lead: converted, customer, opportunity } = out.convertLeadToCustomer;
		expect(early.body.errors[0].extensions.code).toBe("INVALID_STATE_TRANSITION");
		expect(converted).toEqual({
			id,
			status: "CONVERTED",
			customerId: customer.id,
			opportunityId: opportunity.id,
		});
		expect(customer).toMatchObject({ name: "Lead Co", segment: "MID_MARKET" });
		expect(opportunity.customer).toEqual({ id: customer.id });
		expect(again.body.errors[0].extensions.code).toBe("INVALID_STATE_TRANSITION");
	});

	test("an invoice made from an order is sent, paid by a completed payment, and listed on both", async () => {
		const customerId = await newCustomer(gql);
		const orderId = await confirmedOrder(gql, customerId, productId, 1);
		const made = await data<{ createInvoice: Row }>(
			gql,
			`mutation($o: ID!) { createInvoice(input: { orderId: $o }) {
				id status totalAmount isOverdue order { id } customer { id } } }`,
			{ o: orderId },
		);
		const id = made.createInvoice.id as string;

		const paid = await data<{ b: { id: string }; c: Row }>(
			gql,
			`mutation($id: ID!) { a: sendInvoice(id: $id) { status }
				b: createPayment(input: { invoiceId: $id, amount: 20, method: CARD }) { id } }`,
			{ id },
		).then((r) =>
			data<{ completePayment: Row }>(
				gql,
				"mutation($p: ID!) { completePayment(id: $p) { status invoice { status } } }",
				{ p: r.b.id },
			),
		);
		const lists = await data<{ order: Row; customer: Row }>(
			gql,
			`query($o: ID!, $c: ID!) { order(id: $o) { invoices(first: 5) { id } }
				customer(id: $c) { invoices(first: 5) { id payments(first: 5) { status } } } }`,
			{ o: orderId, c: customerId },
		);

		expect(made.createInvoice).toMatchObject({
			status: "DRAFT",
			totalAmount: 20,
			isOverdue: false,
			order: { id: orderId },
			customer: { id: customerId },
		});
		expect(paid.completePayment).toEqual({ status: "COMPLETED", invoice: { status: "PAID" } });
		expect(lists.order.invoices).toEqual([{ id }]);
		expect(lists.customer.invoices).toEqual([{ id, payments: [{ status: "COMPLETED" }] }]);
	});

	test("a sent invoice past its due date is overdue", async () => {
		const customerId = await newCustomer(gql);
		const out = await data<{ createInvoice: { id: string } }>(
			gql,
			`mutation($c: ID!, $p: ID!) { createInvoice(input: { customerId: $c, issueDate: "2020-01-01",
				dueDate: "2020-01-31", items: [{ productId: $p, quantity: 1 }] }) { id } }`,
			{ c: customerId, p: productId },
		);

		const sent = await data<{ sendInvoice: Row }>(
			gql,
			"mutation($id: ID!) { sendInvoice(id: $id) { status isOverdue } }",
			{ id: out.createInvoice.id },
		);

		expect(sent.sendInvoice.isOverdue).toBe(true);
	});

	test("tickets move by update and opportunities by stage; both hang off their customer", async () => {
		const customerId = await newCustomer(gql);
		const made = await data<{ t: { id: string }; o: { id: string } }>(
			gql,
			`mutation($c: ID!) { t: createTicket(input: { subject: "Broken", customerId: $c,
				priority: HIGH }) { id } o: createOpportunity(input: { name: "Deal", customerId: $c })
				{ id } }`,
			{ c: customerId },
		);

		const moved = await data<{ u: Row; s: Row }>(
			gql,
			`mutation($t: ID!, $o: ID!) { u: updateTicket(id: $t, input: { status: RESOLVED }) { status }
				s: moveOpportunityStage(id: $o, stage: QUALIFICATION) { stage } }`,
			{ t: made.t.id, o: made.o.id },
		);
		const read = await data<{ customer: Row }>(
			gql,
			"query($c: ID!) { customer(id: $c) { tickets { id priority } opportunities { id } } }",
			{ c: customerId },
		);

		expect(moved).toEqual({ u: { status: "RESOLVED" }, s: { stage: "QUALIFICATION" } });
		expect(read.customer).toEqual({
			tickets: [{ id: made.t.id, priority: "HIGH" }],
			opportunities: [{ id: made.o.id }],
		});
	});
});

describe("figures, analytics and search", () => {
	test("a customer's totals count its confirmed orders only; customerAnalytics agrees", async () => {
		const customerId = await newCustomer(gql, "Figures Co");
		await confirmedOrder(gql, customerId, productId, 1);
		await confirmedOrder(gql, customerId, productId, 2);
		await newOrder(gql, customerId, productId, 9);

		const out = await data<{ customer: Row; customerAnalytics: Row }>(
			gql,
			`query($c: ID!) { customer(id: $c) { totalOrders totalSpent averageOrderValue lastOrderDate }
				customerAnalytics(customerId: $c) { customerId totalOrders totalSpent } }`,
			{ c: customerId },
		);
		const foreign = await otherGql(
			"query($c: ID!) { customerAnalytics(customerId: $c) { totalOrders } }",
			{ c: customerId },
		);

		expect(out.customer).toEqual({
			totalOrders: 2,
			totalSpent: 60,
			averageOrderValue: 30,
			lastOrderDate: new Date().toISOString().slice(0, 10),
		});
		expect(out.customerAnalytics).toEqual({ customerId, totalOrders: 2, totalSpent: 60 });
		expect(foreign.body.errors[0].extensions.code).toBe("NOT_FOUND");
	});

	test("salesAnalytics groups confirmed orders by day and by customer", async () => {
		const customerId = await newCustomer(gql, "Sales Report Co");
		await confirmedOrder(gql, customerId, productId, 5);
		const today = new Date().toISOString().slice(0, 10);

		const out = await data<{ byDay: { groups: Row[] }; byCustomer: { groups: Row[] } }>(
			gql,
			`query($d: Date!) {
				byDay: salesAnalytics(groupBy: DAY, dateRange: { from: $d, to: $d }) {
					groupBy groups { key orders total } totals { currency } }
				byCustomer: salesAnalytics(groupBy: CUSTOMER) { groups { key name total } } }`,
			{ d: today },
		);

		expect(out.byDay).toMatchObject({ groupBy: "DAY", groups: [{ key: today }] });
		expect(out.byDay.groups[0].orders).toBeGreaterThanOrEqual(1);
		expect(out.byCustomer.groups).toContainEqual({
			key: customerId,
			name: "Sales Report Co",
			total: 100,
		});
	});

	test("search finds orders, products and leads by text, each as its own type", async () => {
		const tag = `find${Math.random().toString(36).slice(2, 8)}`;
		const customerId = await newCustomer(gql);
		await data(
			gql,
			`mutation($c: ID!, $p: ID!, $t: String!) {
				a: createOrder(input: { customerId: $c, items: [{ productId: $p, quantity: 1 }], notes: $t }) { id }
				b: createProduct(input: { sku: "FIND-1", name: $t, price: 1 }) { id }
				c: createLead(input: { name: $t }) { id } }`,
			{ c: customerId, p: productId, t: tag },
		);

		const out = await data<{ search: Row[] }>(
			gql,
			"query($q: String!) { search(query: $q) { __typename } }",
			{ q: tag },
		);
		const foreign = await data<{ search: Row[] }>(
			otherGql,
			"query($q: String!) { search(query: $q) { __typename } }",
			{ q: tag },
		);

		expect(out.search.map((r) => r.__typename).sort()).toEqual([
			"Lead",
			"Product",
			"SalesOrder",
		]);
		expect(foreign.search).toEqual([]);
	});
});

describe("Idempotency-Key", () => {
	test("a repeated mutation with the same key is replayed, not run again; another body is refused", async () => {
		const customerId = await newCustomer(gql);
		const create = `mutation($c: ID!, $p: ID!, $q: Int!) { createOrder(input: { customerId: $c,
			items: [{ productId: $p, quantity: $q }] }) { id } }`;
		const key = { "idempotency-key": `gql-${Math.random().toString(36).slice(2)}` };
		const vars = { c: customerId, p: productId, q: 1 };

		const first = await gql(create, vars, key);
		const second = await gql(create, vars, key);
		const other = await gql(create, { ...vars, q: 2 }, key);
		const listed = await data<{ orders: { totalCount: number } }>(
			gql,
			"query($c: ID!) { orders(filter: { customerId: $c }) { totalCount } }",
			{ c: customerId },
		);

		expect(second.body).toEqual(first.body);
		expect(second.headers.get("idempotent-replayed")).toBe("true");
		expect(first.headers.get("idempotent-replayed")).toBeNull();
		expect(other.status).toBe(422);
		expect(other.body.errors[0].extensions.code).toBe("IDEMPOTENCY_KEY_REUSED");
		expect(listed.orders.totalCount).toBe(1);
	});
	test("a mutation that ran but answered a field error is replayed, not run again: one order", async () => {
		const customerId = await newCustomer(gql);
		const created = await data<{ createApiKey: { key: string } }>(
			gql,
			'mutation { createApiKey(input: { name: "Orders only", scopes: ["orders:read", "orders:write"] }) { key } }',
		);
		const ordersOnly = graphqlClient(node.url, created.createApiKey.key);
		// The key may create the order but not read its customer: a partial answer.
		const create = `mutation($c: ID!, $p: ID!) { createOrder(input: { customerId: $c,
			items: [{ productId: $p, quantity: 1 }] }) { id customer { name } } }`;
		const key = { "idempotency-key": `gql-partial-${Math.random().toString(36).slice(2)}` };
		const vars = { c: customerId, p: productId };

		const first = await ordersOnly(create, vars, key);
		const second = await ordersOnly(create, vars, key);
		const listed = await data<{ orders: { totalCount: number } }>(
			gql,
			"query($c: ID!) { orders(filter: { customerId: $c }) { totalCount } }",
			{ c: customerId },
		);

		expect(first.body.data.createOrder.id).toEqual(expect.any(String));
		expect(first.body.errors[0].extensions.code).toBe("FORBIDDEN");
		expect(second.headers.get("idempotent-replayed")).toBe("true");
		expect(second.body).toEqual(first.body);
		expect(listed.orders.totalCount).toBe(1);
	});

	test("a mutation whose second root field fails (data: null) is replayed: the first field's record is stored once", async () => {
		const name = `Two roots ${Math.random().toString(36).slice(2, 8)}`;
		const both = `mutation($n: String!, $o: ID!) { a: createCustomer(input: { name: $n,
			segment: SMB }) { id } b: cancelOrder(id: $o, reason: "x") { id } }`;
		const key = { "idempotency-key": `gql-two-${Math.random().toString(36).slice(2)}` };
		const vars = { n: name, o: "00000000-0000-4000-8000-000000000000" };

		const first = await gql(both, vars, key);
		const second = await gql(both, vars, key);
		const listed = await data<{ customers: { totalCount: number } }>(
			gql,
			"query($q: String!) { customers(filter: { q: $q }) { totalCount } }",
			{ q: name },
		);

		expect(first.body.data).toBeNull();
		expect(second.headers.get("idempotent-replayed")).toBe("true");
		expect(listed.customers.totalCount).toBe(1);
	});

	test("an operation refused before it ran frees its key: the corrected retry runs", async () => {
		const customerId = await newCustomer(gql);
		const key = { "idempotency-key": `gql-invalid-${Math.random().toString(36).slice(2)}` };
		const create = (field: string) => `mutation($c: ID!, $p: ID!) { createOrder(input: {
			customerId: $c, items: [{ productId: $p, quantity: 1 }] }) { ${field} } }`;
		const vars = { c: customerId, p: productId };

		const invalid = await gql(create("noSuchField"), vars, key);
		const retried = await gql(create("id"), vars, key);

		expect(invalid.status).toBe(400);
		expect(invalid.body.data).toBeUndefined();
		expect(retried.headers.get("idempotent-replayed")).toBeNull();
		expect(retried.body.data.createOrder.id).toEqual(expect.any(String));
	});
});
