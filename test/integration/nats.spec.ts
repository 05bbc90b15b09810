/**
 * NATS as the alternative transporter: a gateway node and a data node, two processes, talk
 * over the NATS server (TRANSPORTER=nats://…) exactly as they do over Redis.
 */
import { bootstrap, client, type GatewayNode, startNode, tempDir } from "../helpers/gateway";
import { describeWithNats, NATS_URL } from "../helpers/nats";

describeWithNats("a gateway node and a data node on the NATS transporter", () => {
	const namespace = `t-${Math.random().toString(36).slice(2, 10)}`;
	const cluster = { TRANSPORTER: NATS_URL, NAMESPACE: namespace };
	let data: GatewayNode;
	let gateway: GatewayNode;

	beforeAll(async () => {
		data = await startNode({
			...cluster,
			SERVICES: "organizations,users,members,api-keys,events,customers",
			DATA_DIR: tempDir(),
		});
		gateway = await startNode({ ...cluster, SERVICES: "api", DATA_DIR: tempDir() });
	});

	afterAll(async () => {
		await gateway?.stop();
		await data?.stop();
	});

	test("bootstrap, a write and its event go through the gateway to the data node over NATS", async () => {
		const owner = bootstrap(cluster, "Nats Org");
		const api = client(gateway.url, owner.api_key);
		const base = `/v1/organizations/${owner.organization_id}`;

		const created = await api.post(`${base}/customers`, { name: "Over NATS", segment: "smb" });
		const read = await api.get(`${base}/customers/${created.body.data.id}`);
		const events = await api.get(`${base}/events?type=customer.created`);

		expect(created.status).toBe(201);
		expect(read.body.data.name).toBe("Over NATS");
		expect(events.body.data[0].data.object.id).toBe(created.body.data.id);
		expect(gateway.logs()).not.toMatch(/Service 'customers' started/);
	});
});
