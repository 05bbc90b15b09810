/**
 * The same requests served by two processes on the Redis transporter: a gateway node running
 * only `api` and a data node running every other service (SERVICES split).
 */
import { dataServices } from "../../scripts/node";
import {
	bootstrap,
	client,
	type GatewayNode,
	REDIS_URL,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { describeWithRedis } from "../helpers/redis";

describeWithRedis("a gateway node and a data node on the Redis transporter", () => {
	const namespace = `t-${Math.random().toString(36).slice(2, 10)}`;
	const cluster = { TRANSPORTER: REDIS_URL, NAMESPACE: namespace };
	let data: GatewayNode;
	let gateway: GatewayNode;
	let firstOrg: string;

	beforeAll(async () => {
		data = await startNode({
			...cluster,
			SERVICES: dataServices().join(","),
			DATA_DIR: tempDir(),
		});
		gateway = await startNode({ ...cluster, SERVICES: "api", DATA_DIR: tempDir() });
	});

	afterAll(async () => {
		await gateway?.stop();
		await data?.stop();
	});

	test("bootstrap, CRUD, a child resource and the event log work across the two processes", async () => {
		const owner = bootstrap(cluster, "Cluster Org");
		firstOrg = owner.organization_id;
		const api = client(gateway.url, owner.api_key);
		const base = `/v1/organizations/${owner.organization_id}`;

		const created = await api.post(`${base}/customers`, {
			name: "Across nodes",
			segment: "startup",
		});
		const contact = await api.post(`${base}/customers/${created.body.data.id}/contacts`, {
			name: "Remote",
		});
		const listed = await api.get(`${base}/customers?include=contacts`);
		const updated = await api.patch(`${base}/customers/${created.body.data.id}`, {
			status: "inactive",
		});
		const events = await api.get(`${base}/events?type=customer.updated`);

		expect(created.status).toBe(201);
		expect(contact.status).toBe(201);
		expect(listed.body.data).toHaveLength(1);
		expect(listed.body.data[0].contacts[0].name).toBe("Remote");
		expect(updated.body.data.version).toBe(2);
		expect(events.body.data[0].data.previous_attributes).toEqual({ status: "active" });
	});

	test("the gateway node runs no data service and still enforces scopes and tenancy", async () => {
		const other = bootstrap(cluster, "Second Org");
		const res = await client(gateway.url, other.api_key).get(
			`/v1/organizations/${firstOrg}/customers`,
		);

		expect(gateway.logs()).not.toMatch(/Service 'customers' started/);
		expect(res.status).toBe(404);
	});

	test("with the data node gone, requests fail fast with 503 and /ready says not ready", async () => {
		const owner = bootstrap(cluster, "Third Org");
		await data.stop();
		const api = client(gateway.url, owner.api_key);

		let status = 0;
		for (let i = 0; i < 50 && status !== 503; i++) {
			status = (await api.get(`/v1/organizations/${owner.organization_id}/customers`)).status;
			if (status !== 503) await new Promise((r) => setTimeout(r, 200));
		}
		const ready = await fetch(`${gateway.url}/ready`);

		expect(status).toBe(503);
		expect(ready.status).toBe(503);
	});
});
