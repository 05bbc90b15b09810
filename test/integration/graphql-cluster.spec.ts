/**
 * GraphQL on a gateway node that runs no domain service: the schema is built from the settings
 * the data node's services sent over the Redis transporter (declarative resolvers only), and
 * subscriptions are fed by events recorded on the other node.
 */
import { bootstrap, type GatewayNode, REDIS_URL, startNode, tempDir } from "../helpers/gateway";
import { graphqlClient, repeatUntil, subscribe, wsClient } from "../helpers/graphql";
import { describeWithRedis } from "../helpers/redis";

describeWithRedis("GraphQL on a gateway node with the domains on another node", () => {
	const namespace = `t-${Math.random().toString(36).slice(2, 10)}`;
	const cluster = { TRANSPORTER: REDIS_URL, NAMESPACE: namespace };
	let data: GatewayNode;
	let gateway: GatewayNode;

	beforeAll(async () => {
		const dataServices =
			"organizations,users,members,api-keys,events,customers,customer-contacts,customer-interactions";
		data = await startNode({ ...cluster, SERVICES: dataServices, DATA_DIR: tempDir() });
		gateway = await startNode({ ...cluster, SERVICES: "api", DATA_DIR: tempDir() });
	});

	afterAll(async () => {
		await gateway?.stop();
		await data?.stop();
	});

	test("queries with batched relations and a subscription work across the two processes", async () => {
		const owner = bootstrap(cluster, "Cluster GraphQL Org");
		const gql = graphqlClient(gateway.url, owner.api_key);
		const created =
			await gql(`mutation { createCustomer(input: { name: "Remote Co", segment: STARTUP }) {
			id } }`);
		const customerId = created.body.data.createCustomer.id;
		await gql(
			'mutation($c: ID!) { createCustomerContact(input: { customerId: $c, name: "Remote" }) { id } }',
			{ c: customerId },
		);
		const client = wsClient(gateway.url, owner.api_key);
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

		expect(gateway.logs()).not.toMatch(/Service 'customers' started/);
		expect(listed.body.data.customers.nodes).toEqual([
			{
				name: "Remote Co",
				segment: "STARTUP",
				contacts: [{ name: "Remote", customer: { name: "Remote Co" } }],
			},
		]);
		expect(sub.received[0].data.customerInteraction.subject).toBe("From the data node");
	});
});
