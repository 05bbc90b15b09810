/**
 * Webhook workers as separate nodes on Redis (TRANSPORTER and CHANNELS_URL, a random NAMESPACE):
 * the data services run on one node, `webhook-worker` on others. Two workers share one consumer
 * group and send each event once; a worker killed mid-POST is replaced by another that sends the
 * delivery again with the same webhook-id.
 */
import crypto from "node:crypto";
import Redis from "ioredis";
import { availableServices } from "../../scripts/node";
import {
	bootstrap,
	client,
	type GatewayNode,
	type Owner,
	REDIS_URL,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { type Receiver, startReceiver } from "../helpers/receiver";
import { describeWithRedis } from "../helpers/redis";

const EVENTS = 60;

describeWithRedis("webhook workers on Redis", () => {
	const namespace = `t-${crypto.randomBytes(6).toString("hex")}`;
	const stream = `${namespace}.webhooks.deliver`;
	const cluster = {
		TRANSPORTER: REDIS_URL,
		CHANNELS_URL: REDIS_URL,
		NAMESPACE: namespace,
		WEBHOOK_ALLOW_PRIVATE: "true",
	};
	let owner: Owner;
	let dataNode: GatewayNode;
	let workers: GatewayNode[] = [];
	let receiver: Receiver;
	let redis: Redis;

	function startWorker(name: string): Promise<GatewayNode> {
		return startNode({
			...cluster,
			SERVICES: "webhook-worker",
			NODE_ID: `${namespace}-${name}`,
			// The start-up line ("started (…)") tells the test a node without HTTP is up.
			LOG_LEVEL: "info",
		});
	}

	async function newEndpoint(events: string[]): Promise<string> {
		const api = client(dataNode.url, owner.api_key);
		const res = await api.post(`/v1/organizations/${owner.organization_id}/webhooks`, {
			url: receiver.url,
			events,
			retry_config: { max_retries: 3, retry_delay: 500, backoff_multiplier: 1 },
		});
		expect(res.status).toBe(201);
		receiver.secrets = [res.body.data.secret];

		return res.body.data.id;
	}

	beforeAll(async () => {
		const dataDir = tempDir();
		owner = bootstrap({ DATA_DIR: dataDir }, "Clustered Org");
		receiver = await startReceiver();
		redis = new Redis(REDIS_URL);
		const services = availableServices().filter((s) => s !== "webhook-worker");
		dataNode = await startNode({ ...cluster, DATA_DIR: dataDir, SERVICES: services.join(",") });
	}, 90_000);

	afterAll(async () => {
		await Promise.all(workers.map((w) => w.stop()));
		await dataNode?.stop();
		await receiver?.close();
		// Only the stream this suite created; nothing else in the shared Redis is touched.
		await redis?.del(stream);
		await redis?.quit();
	});

	test("two worker nodes share one consumer group and send each event once", async () => {
		workers = await Promise.all([startWorker("w1"), startWorker("w2")]);
		const endpointId = await newEndpoint(["customer.created"]);
		const api = client(dataNode.url, owner.api_key);
		const items = Array.from({ length: EVENTS }, (_, i) => ({
			name: `Pair ${i}`,
			segment: "smb",
		}));

		const bulk = await api.post(`/v1/organizations/${owner.organization_id}/customers/bulk`, {
			items,
		});
		expect(bulk.body.data.succeeded).toBe(EVENTS);
		await receiver.waitFor(`${EVENTS} deliveries`, (all) => all.length >= EVENTS, 60_000);
		await new Promise((r) => setTimeout(r, 2000));

		expect(receiver.received).toHaveLength(EVENTS);
		expect(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size).toBe(EVENTS);
		for (const r of receiver.received) {
			expect(r.standardOk).toEqual(receiver.secrets);
			expect(r.mantisOk).toBe(receiver.secrets[0]);
		}
		const consumers = (await redis.xinfo("CONSUMERS", stream, "webhook-worker")) as unknown[];
		expect(consumers).toHaveLength(2);
		const log = await api.get(
			`/v1/organizations/${owner.organization_id}/webhooks/${endpointId}/deliveries?status=succeeded&limit=100`,
		);
		expect(log.body.pagination.total).toBe(EVENTS);
		await api.delete(`/v1/organizations/${owner.organization_id}/webhooks/${endpointId}`);
	}, 120_000);

	test("a worker killed during a POST: another worker sends it again with the same webhook-id", async () => {
		await Promise.all(workers.map((w) => w.stop()));
		workers = [await startWorker("w3")];
		receiver.received.length = 0;
		receiver.answer = (r) => (r.n === 1 ? { status: 200, hold: true } : { status: 200 });
		await newEndpoint(["customer.updated"]);
		const api = client(dataNode.url, owner.api_key);
		const base = `/v1/organizations/${owner.organization_id}`;
		const customer = (await api.post(`${base}/customers`, { name: "Held", segment: "smb" }))
			.body.data;

		await api.patch(`${base}/customers/${customer.id}`, { company: "Held Ltd" });
		await receiver.waitFor("the held POST", (all) => all.length >= 1);
		await workers[0].kill("SIGKILL");
		workers = [await startWorker("w4")];
		await receiver.waitFor(
			"the delivery from the other worker (once the lease of 60 s runs out)",
			(all) => all.length >= 2,
			100_000,
		);

		const [held, again] = receiver.received;
		expect(again.headers["webhook-id"]).toBe(held.headers["webhook-id"]);
		expect(again.headers["x-mantis-delivery"]).toBe(held.headers["x-mantis-delivery"]);
		expect(again.body).toEqual(held.body);
		expect(again.standardOk).toEqual(receiver.secrets);
	}, 150_000);
});
