/**
 * NATS as the alternative transporter: a gateway node and a data node, two processes, talk
 * over the NATS server (TRANSPORTER=nats://…) exactly as they do over Redis.
 */
import { bootstrap, client, type NodePair, startPair } from "../helpers/gateway";
import { describeWithNats, NATS_URL } from "../helpers/nats";

describeWithNats("a gateway node and a data node on the NATS transporter", () => {
	let pair: NodePair;

	beforeAll(async () => {
		pair = await startPair(NATS_URL);
	});

	afterAll(async () => {
		await pair?.stop();
	});

	test("bootstrap, a write and its event go through the gateway to the data node over NATS", async () => {
		const { cluster, gateway } = pair;
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
