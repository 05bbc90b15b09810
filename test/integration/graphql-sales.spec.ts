/**
 * GraphQL over HTTP for the sales and finance domains against a real gateway process: orders
 * with their customer, lines and invoices, the workflow mutations, bulk orders and products,
 * and the relations batched (the N+1 count of 50 orders).
 */
import { type GatewayNode } from "../helpers/gateway";
import {
	actionCalls,
	callsBetween,
	type GraphqlRequest,
	startGraphqlGateway,
} from "../helpers/graphql";
import { data, failedPayment, newCustomer, newOrder, newProduct } from "../helpers/graphql-sales";

let node: GatewayNode;
let gql: GraphqlRequest;
let otherGql: GraphqlRequest;
let metricsUrl: string;
let productId: string;

const ORDER = `id orderNumber status fulfillmentStatus isOverdue totalAmount currency
	items { productId sku quantity unitPrice total } customer { id name }`;

beforeAll(async () => {
	const gateway = await startGraphqlGateway("Sales Org", "Other Sales Org");
	({ node, metricsUrl } = gateway);
	[gql, otherGql] = gateway.clients;
	productId = await newProduct(gql, 12.5);
});

afterAll(async () => {
	await node?.stop();
});

describe("orders", () => {
	test("createOrder prices its lines; order(id) answers the customer, lines and computed fields", async () => {
		const customerId = await newCustomer(gql, "Order Buyer");
		const { id } = await newOrder(gql, customerId, productId, 3);

		const out = await data(gql, `query($id: ID!) { order(id: $id) { ${ORDER} } }`, { id });
		const foreign = await otherGql("query($id: ID!) { order(id: $id) { id } }", { id });
		const requested = await data<{ createOrder: Record<string, unknown> }>(
			gql,
			`mutation($c: ID!, $p: ID!) { createOrder(input: { customerId: $c,
				requestedDeliveryDate: "2030-01-15", items: [{ productId: $p, quantity: 1 }] }) {
				estimatedDelivery } }`,
			{ c: customerId, p: productId },
		);

		expect(out.order).toMatchObject({
			id,
			status: "DRAFT",
			fulfillmentStatus: "UNFULFILLED",
			isOverdue: false,
			totalAmount: 37.5,
			items: [{ productId, quantity: 3, unitPrice: 12.5, total: 37.5 }],
			customer: { id: customerId, name: "Order Buyer" },
		});
		expect(requested.createOrder.estimatedDelivery).toBe("2030-01-15");
		expect(foreign.body.data.order).toBeNull();
		expect(foreign.body.errors[0].extensions.code).toBe("NOT_FOUND");
	});

	test("confirm, process, fulfil and deliver move the order; a shipped order cannot be cancelled", async () => {
		const customerId = await newCustomer(gql);
		const { id } = await newOrder(gql, customerId, productId);

		const steps = await data(
			gql,
			`mutation($id: ID!) { a: confirmOrder(id: $id) { status } b: processOrder(id: $id) { status }
				c: fulfillOrder(id: $id, input: { carrier: "DHL", trackingNumber: "T1" }) {
					status fulfillmentStatus carrier trackingNumber } }`,
			{ id },
		);
		const cancel = await gql(
			'mutation($id: ID!) { cancelOrder(id: $id, reason: "No") { id } }',
			{
				id,
			},
		);
		const delivered = await data(
			gql,
			`mutation($id: ID!) { deliverOrder(id: $id) { status fulfillmentStatus actualDeliveryDate
				estimatedDelivery } }`,
			{ id },
		);

		expect(steps).toEqual({
			a: { status: "CONFIRMED" },
			b: { status: "PROCESSING" },
			c: {
				status: "SHIPPED",
				fulfillmentStatus: "IN_TRANSIT",
				carrier: "DHL",
				trackingNumber: "T1",
			},
		});
		expect(cancel.body.errors[0].extensions.code).toBe("INVALID_STATE_TRANSITION");
		const today = new Date().toISOString().slice(0, 10);
		expect(delivered.deliverOrder).toEqual({
			status: "DELIVERED",
			fulfillmentStatus: "FULFILLED",
			actualDeliveryDate: today,
			estimatedDelivery: today,
		});
	});

	test("cancelOrder records the reason; orders filter by status and customer", async () => {
		const customerId = await newCustomer(gql);
		const kept = await newOrder(gql, customerId, productId);
		const { id } = await newOrder(gql, customerId, productId);

		const cancelled = await data(
			gql,
			`mutation($id: ID!) { cancelOrder(id: $id, reason: "Changed mind") {
				status fulfillmentStatus cancellationReason } }`,
			{ id },
		);
		const listed = await data(
			gql,
			`query($c: ID!) { orders(filter: { customerId: $c, statusIn: [DRAFT] }) {
				totalCount nodes { id } } }`,
			{ c: customerId },
		);

		expect(cancelled.cancelOrder).toEqual({
			status: "CANCELLED",
			fulfillmentStatus: "CANCELLED",
			cancellationReason: "Changed mind",
		});
		expect(listed.orders).toEqual({ totalCount: 1, nodes: [{ id: kept.id }] });
	});

	test("bulkCreateOrders and bulkCreateProducts answer item by item; valid items commit", async () => {
		const customerId = await newCustomer(gql);

		const orders = await data(
			gql,
			`mutation($c: ID!, $p: ID!) { bulkCreateOrders(input: [
				{ customerId: $c, items: [{ productId: $p, quantity: 1 }] },
				{ customerId: $c, items: [{ productId: $p, quantity: 0 }] }]) {
				succeeded failed results { index status id error { code } } } }`,
			{ c: customerId, p: productId },
		);
		const products = await data(
			gql,
			`mutation { bulkCreateProducts(input: [{ sku: "BULK-1", name: "One", price: 1 },
				{ sku: "bad sku!", name: "Two", price: 2 }]) { succeeded failed
				results { index status data { sku } error { code } } } }`,
		);

		expect(orders.bulkCreateOrders).toMatchObject({ succeeded: 1, failed: 1 });
		const results = (orders.bulkCreateOrders as { results: Array<Record<string, unknown>> })
			.results;
		expect(results[0]).toMatchObject({ index: 0, status: "CREATED" });
		expect(results[1]).toMatchObject({
			index: 1,
			status: "FAILED",
			error: { code: "VALIDATION_ERROR" },
		});
		expect(products.bulkCreateProducts).toEqual({
			succeeded: 1,
			failed: 1,
			results: [
				{ index: 0, status: "CREATED", data: { sku: "BULK-1" }, error: null },
				{ index: 1, status: "FAILED", data: null, error: { code: "VALIDATION_ERROR" } },
			],
		});
	});
});

describe("the other types", () => {
	test("quotes, invoices, payments, leads, opportunities, tickets, products and notifications list as connections filtered like REST", async () => {
		const tag = `cat${Math.random().toString(36).slice(2, 8)}`;
		const customerId = await newCustomer(gql);
		await failedPayment(gql, productId);
		const invoice = await data<{ createInvoice: { id: string } }>(
			gql,
			`mutation($c: ID!, $p: ID!) { createInvoice(input: { customerId: $c,
				items: [{ productId: $p, quantity: 1 }] }) { id } }`,
			{ c: customerId, p: productId },
		);
		await data(
			gql,
			`mutation($c: ID!, $p: ID!, $i: ID!, $t: String!) {
				q: createQuote(input: { customerId: $c, items: [{ productId: $p, quantity: 1 }] }) { id }
				s: sendInvoice(id: $i) { id }
				y: createPayment(input: { invoiceId: $i, amount: 1 }) { id }
				l: createLead(input: { name: $t }) { id }
				o: createOpportunity(input: { name: $t, customerId: $c }) { id }
				k: createTicket(input: { subject: $t, customerId: $c }) { id }
				r: createProduct(input: { sku: $t, name: $t, price: 3 }) { id } }`,
			{ c: customerId, p: productId, i: invoice.createInvoice.id, t: tag },
		);

		const out = await data<Record<string, { totalCount: number }>>(
			gql,
			`query($c: ID!, $t: String!) {
				quotes(filter: { customerId: $c, status: DRAFT }) { totalCount }
				invoices(filter: { customerId: $c, statusIn: [SENT] }) { totalCount }
				payments(filter: { customerId: $c }) { totalCount }
				leads(filter: { q: $t }) { totalCount }
				opportunities(filter: { customerId: $c }) { totalCount }
				tickets(filter: { customerId: $c, status: OPEN }) { totalCount }
				products(filter: { q: $t }) { totalCount }
				notifications(filter: { type: PAYMENT_FAILED }, pagination: { first: 1 }) {
					totalCount nodes { readAt } } }`,
			{ c: customerId, t: tag },
		);

		expect(out).toEqual({
			quotes: { totalCount: 1 },
			invoices: { totalCount: 1 },
			payments: { totalCount: 1 },
			leads: { totalCount: 1 },
			opportunities: { totalCount: 1 },
			tickets: { totalCount: 1 },
			products: { totalCount: 1 },
			notifications: { totalCount: 1, nodes: [{ readAt: null }] },
		});
	});

	test("updateOrder, bulkUpdateOrders, deleteOrder, rejectQuote, voidInvoice and markNotificationRead change what they name", async () => {
		await failedPayment(gql, productId);
		const customerId = await newCustomer(gql);
		const [one, two] = [
			await newOrder(gql, customerId, productId),
			await newOrder(gql, customerId, productId),
		];
		const made = await data<{ q: { id: string }; i: { id: string } }>(
			gql,
			`mutation($c: ID!, $p: ID!) {
				q: createQuote(input: { customerId: $c, items: [{ productId: $p, quantity: 1 }] }) { id }
				i: createInvoice(input: { customerId: $c, items: [{ productId: $p, quantity: 1 }] }) { id } }`,
			{ c: customerId, p: productId },
		);
		const listed = await data<{ notifications: { nodes: Array<{ id: string }> } }>(
			gql,
			"{ notifications(pagination: { first: 1 }) { nodes { id } } }",
		);

		const out = await data<Record<string, unknown>>(
			gql,
			`mutation($one: ID!, $two: ID!, $q: ID!, $i: ID!, $n: ID!) {
				u: updateOrder(id: $one, input: { notes: "Leave at the door" }) { notes version }
				b: bulkUpdateOrders(input: [{ id: $two, input: { notes: "Bulk note" } }]) { succeeded }
				d: deleteOrder(id: $two)
				s: sendQuote(id: $q) { id } r: rejectQuote(id: $q, reason: "Too dear") { status }
				t: sendInvoice(id: $i) { id } v: voidInvoice(id: $i) { status }
				m: markNotificationRead(id: $n) { readAt } }`,
			{
				one: one.id,
				two: two.id,
				q: made.q.id,
				i: made.i.id,
				n: listed.notifications.nodes[0].id,
			},
		);
		const gone = await gql("query($id: ID!) { order(id: $id) { id } }", { id: two.id });

		expect(out).toMatchObject({
			u: { notes: "Leave at the door", version: 2 },
			b: { succeeded: 1 },
			d: true,
			r: { status: "REJECTED" },
			v: { status: "VOID" },
			m: { readAt: expect.any(String) },
		});
		expect(gone.body.errors[0].extensions.code).toBe("NOT_FOUND");
	});
});

describe("relations without N+1", () => {
	test("50 orders with customers, lines and invoices take the same few action calls as 5", async () => {
		const customers = await Promise.all(
			Array.from({ length: 10 }, (_, i) => newCustomer(gql, `N1 buyer ${i}`)),
		);
		const items = Array.from(
			{ length: 50 },
			(_, i) =>
				`{ customerId: "${customers[i % 10]}", items: [{ productId: "${productId}", quantity: ${i + 1} }], notes: "n1-batch" }`,
		);
		await data(gql, `mutation { bulkCreateOrders(input: [${items.join(",")}]) { failed } }`);
		// Cost: 1 + 2 + items (1 + 2) + customer (1 + 3)
		// + invoices (1 + 1) = 12 per node, × 50 = 600.
		const query = `query($n: Int!) { orders(filter: { q: "n1-batch" }, pagination: { first: $n }) {
			nodes { id totalAmount items { sku quantity } customer { id name totalSpent }
				invoices(first: 1) { id } } } }`;
		const domains = /^(orders|customers|invoices|products|analytics)\./;

		const start = await actionCalls(metricsUrl);
		const fifty = await data<{ orders: { nodes: Array<Record<string, unknown>> } }>(
			gql,
			query,
			{
				n: 50,
			},
		);
		const middle = await actionCalls(metricsUrl);
		const five = await data<{ orders: { nodes: unknown[] } }>(gql, query, { n: 5 });
		const end = await actionCalls(metricsUrl);

		expect(fifty.orders.nodes).toHaveLength(50);
		for (const order of fifty.orders.nodes) {
			expect(order.customer).toMatchObject({ name: expect.stringMatching(/^N1 buyer/) });
			expect((order.items as unknown[]).length).toBe(1);
		}
		const calls = callsBetween(start, middle, domains);
		expect(calls).toEqual({
			"orders.graphqlList": 1,
			"orders.list": 1,
			"customers.graphqlByIds": 1,
			"invoices.graphqlByParent": 1,
			"analytics.graphqlCustomerFigure": 1,
		});
		expect(callsBetween(middle, end, domains)).toEqual(calls);
		expect(five.orders.nodes).toHaveLength(5);
	});
});
