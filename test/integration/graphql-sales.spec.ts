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
import { data, newCustomer, newOrder, newProduct } from "../helpers/graphql-sales";

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

		expect(out.order).toMatchObject({
			id,
			status: "DRAFT",
			fulfillmentStatus: "UNFULFILLED",
			isOverdue: false,
			totalAmount: 37.5,
			items: [{ productId, quantity: 3, unitPrice: 12.5, total: 37.5 }],
			customer: { id: customerId, name: "Order Buyer" },
		});
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
			"mutation($id: ID!) { deliverOrder(id: $id) { status fulfillmentStatus actualDeliveryDate } }",
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
		expect(delivered.deliverOrder).toMatchObject({
			status: "DELIVERED",
			fulfillmentStatus: "FULFILLED",
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
		// Cost: 1 + 2 + items (1 + 2) + customer (1 + 3) + invoices (1 + 1) = 12 per node, × 50 = 600.
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
