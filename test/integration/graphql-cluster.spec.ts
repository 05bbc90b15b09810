/**
 * GraphQL on a gateway node that runs no domain service: the schema is built from the settings
 * the data node's services sent over the Redis transporter (declarative resolvers only), and
 * subscriptions are fed by events recorded on the other node.
 */
import { bootstrap, type NodePair, REDIS_URL, startPair } from "../helpers/gateway";
import { graphqlClient, repeatUntil, subscribe, wsClient } from "../helpers/graphql";
import { confirmedOrder, newCustomer, newProduct } from "../helpers/graphql-sales";
import { describeWithRedis } from "../helpers/redis";

describeWithRedis("GraphQL on a gateway node with the domains on another node", () => {
	let cluster: NodePair;

	beforeAll(async () => {
		cluster = await startPair(REDIS_URL);
	});

	afterAll(async () => {
		await cluster?.stop();
	});

	test("queries with batched relations and a subscription work across the two processes", async () => {
		const owner = bootstrap(cluster.cluster, "Cluster GraphQL Org");
		const gql = graphqlClient(cluster.gateway.url, owner.api_key);
		const created =
			await gql(`mutation { createCustomer(input: { name: "Remote Co", segment: STARTUP }) {
			id } }`);
		const customerId = created.body.data.createCustomer.id;
		await gql(
			'mutation($c: ID!) { createCustomerContact(input: { customerId: $c, name: "Remote" }) { id } }',
			{ c: customerId },
		);
		const client = wsClient(cluster.gateway.url, owner.api_key);
		const sub = subscribe<{ data: { customerInteraction: { subject: string } } }>(
			client,
			"subscription($c: ID!) { customerInteraction(customerId: $c) { subject } }",
			{ c: customerId },
		);

		const listed = await gql(
			"{ customers(pagination: { first: 5 }) { nodes { name segment contacts(first: 5) { name customer { name } } } } }",
		);
		await repeatUntil(
			() => sub.received.length > 0,
			() =>
				gql(
					`mutation($c: ID!) { createCustomerInteraction(input: { customerId: $c, type: EMAIL,
						subject: "From the data node" }) { id } }`,
					{ c: customerId },
				),
		);
		await client.dispose();

		expect(cluster.gateway.logs()).not.toMatch(/Service 'customers' started/);
		expect(listed.body.data.customers.nodes).toEqual([
			{
				name: "Remote Co",
				segment: "STARTUP",
				contacts: [{ name: "Remote", customer: { name: "Remote Co" } }],
			},
		]);
		expect(sub.received[0].data.customerInteraction.subject).toBe("From the data node");
	});

	test("order subscriptions and sales figures reach the gateway from the data node's events", async () => {
		const owner = bootstrap(cluster.cluster, "Cluster Orders Org");
		const gql = graphqlClient(cluster.gateway.url, owner.api_key);
		const productId = await newProduct(gql, 4);
		const customerId = await newCustomer(gql, "Remote Buyer");
		const client = wsClient(cluster.gateway.url, owner.api_key);
		const changed = subscribe<{ data: { orderStatusChanged: Record<string, unknown> } }>(
			client,
			"subscription($c: ID) { orderStatusChanged(customerId: $c) { id status customer { name } } }",
			{ c: customerId },
		);
		const metrics = subscribe<{ data: { salesMetricsUpdated: Record<string, unknown> } }>(
			client,
			"subscription { salesMetricsUpdated { orderId dayOrders } }",
		);

		await repeatUntil(
			() => changed.received.length > 0 && metrics.received.length > 0,
			() => confirmedOrder(gql, customerId, productId),
		);
		await client.dispose();

		const order = changed.received[0].data.orderStatusChanged;
		expect(order).toMatchObject({ status: "CONFIRMED", customer: { name: "Remote Buyer" } });
		expect(metrics.received.map((r) => r.data.salesMetricsUpdated.orderId)).toContain(order.id);
	});
});
