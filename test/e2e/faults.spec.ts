/**
 * Faults under load, on the Redis transporter: two gateway nodes and one data node (NeDB, so
 * exactly one copy), separate processes, and for webhooks two worker nodes sharing the
 * `webhooks.deliver` channel on Redis Streams. A load driver writes through both gateways with
 * an `Idempotency-Key` on every write and retries a failed write on the other gateway; the
 * checker then reads everything back (and, with webhooks, what the receiver was sent). Killed
 * nodes are started again and must rejoin.
 */
import Redis from "ioredis";
import {
	bootstrapAsync,
	client,
	freePort,
	type GatewayNode,
	type Owner,
	REDIS_URL,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { domainServices } from "../../scripts/node";
import { check, LoadDriver } from "../helpers/load";
import { eventually, metricAt, until } from "../helpers/poll";
import { type Received, type Receiver, startReceiver } from "../helpers/receiver";
import { describeWithRedis } from "../helpers/redis";

/** The data node runs every service but the webhook worker, which has nodes of its own. */
const DATA_SERVICES = domainServices().join(",");
/** The request timeout of these nodes; the README's budget for an answer while a node is down. */
const REQUEST_TIMEOUT_MS = 4000;
/** Process start-up, scheduling on a busy machine: what an answer may take beyond the timeout. */
const MARGIN_MS = 4000;
const WRITES = 120;

describeWithRedis("faults under load through two gateway nodes", () => {
	const namespace = `t-${Math.random().toString(36).slice(2, 10)}`;
	const stream = `${namespace}.webhooks.deliver`;
	const cluster = {
		TRANSPORTER: REDIS_URL,
		CHANNELS_URL: REDIS_URL,
		NAMESPACE: namespace,
		REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
		// The receiver listens on loopback.
		WEBHOOK_ALLOW_PRIVATE: "true",
	};
	const dataEnv = {
		...cluster,
		SERVICES: DATA_SERVICES,
		DATA_DIR: tempDir(),
		// A stable id: a restarted node replaces its old self in every registry.
		NODE_ID: `${namespace}-data`,
	};
	const gatewayEnv = (name: string, port: number) => ({
		...cluster,
		SERVICES: "api",
		DATA_DIR: tempDir(),
		PORT: String(port),
		NODE_ID: `${namespace}-${name}`,
	});
	let data: GatewayNode;
	let gatewayA: GatewayNode;
	let gatewayB: GatewayNode;
	let portA: number;
	let portB: number;
	let workers: GatewayNode[] = [];
	let receiver: Receiver | undefined;

	beforeAll(async () => {
		[portA, portB] = [await freePort(), await freePort()];
		data = await startNode(dataEnv);
		[gatewayA, gatewayB] = await Promise.all([
			startNode(gatewayEnv("gw-a", portA)),
			startNode(gatewayEnv("gw-b", portB)),
		]);
	}, 120_000);

	afterAll(async () => {
		await Promise.all([gatewayA?.stop(), gatewayB?.stop(), ...workers.map((w) => w.stop())]);
		await data?.stop();
		await receiver?.close();
		// Only the stream this suite created; nothing else in the shared Redis is touched.
		const redis = new Redis(REDIS_URL);
		await redis.del(stream);
		await redis.quit();
	});

	const metricsUrl = (node: GatewayNode) => `http://127.0.0.1:${node.env.METRICS_PORT}/metrics`;

	async function startWorker(name: string): Promise<GatewayNode> {
		return startNode({
			...cluster,
			SERVICES: "webhook-worker",
			NODE_ID: `${namespace}-${name}`,
			METRICS_PORT: String(await freePort()),
		});
	}

	function driverFor(owner: Owner): LoadDriver {
		return new LoadDriver({
			gateways: [gatewayA.url, gatewayB.url],
			owner,
			writes: WRITES,
			concurrency: 6,
			hungAfterMs: REQUEST_TIMEOUT_MS + MARGIN_MS,
			deadlineMs: 90_000,
		});
	}

	test("(a) a gateway killed with SIGKILL: clients retry on the other, every acknowledged write is stored once", async () => {
		const owner = await bootstrapAsync(cluster, "Gateway Fault Org");
		const driver = driverFor(owner);
		const load = driver.start();

		await until(() => driver.acknowledged() >= 30, "30 acknowledged writes");
		await gatewayA.kill("SIGKILL");
		await until(() => driver.acknowledged() >= 70, "70 acknowledged writes");
		gatewayA = await startNode(gatewayEnv("gw-a", portA));
		await load;
		const rejoined = await client(gatewayA.url, owner.api_key).post(
			`/v1/organizations/${owner.organization_id}/customers`,
			{ name: "After the restart", segment: "smb" },
		);
		const result = await check(gatewayB.url, owner, driver);
		const attempts = driver.attempts();

		expect(driver.writes.filter((w) => w.refused)).toEqual([]);
		expect(driver.acknowledged()).toBe(WRITES);
		expect(attempts.some((a) => a.gateway === 0 && a.outcome === "network")).toBe(true);
		expect(result).toEqual({ notExactlyOnce: [], unacknowledgedStored: [], missingEvents: [] });
		expect(rejoined.status).toBe(201);
	}, 240_000);

	test("(b) the data node killed and restarted: requests get 503 or succeed within the timeout budget, and every acknowledged write is stored once", async () => {
		const owner = await bootstrapAsync(cluster, "Data Fault Org");
		const driver = driverFor(owner);
		const load = driver.start();

		await until(() => driver.acknowledged() >= 30, "30 acknowledged writes");
		const killedAt = Date.now();
		await data.kill("SIGKILL");
		await until(
			() => driver.attempts().filter((a) => a.at > killedAt && a.outcome === 503).length >= 6,
			"requests answered 503 while the data node is down",
		);
		data = await startNode(dataEnv);
		await load;
		const result = await check(gatewayA.url, owner, driver);
		const attempts = driver.attempts();
		const outcomes = new Set(attempts.map((a) => a.outcome));
		const slowest = Math.max(...attempts.map((a) => a.ms));
		// A gateway whose circuit breaker opened tries the node again after its half-open time.
		const afterRestart = await eventually(
			() =>
				client(gatewayB.url, owner.api_key).get(
					`/v1/organizations/${owner.organization_id}/customers?limit=1`,
				),
			(reply) => reply.status === 200,
			30_000,
		);

		expect(driver.writes.filter((w) => w.refused)).toEqual([]);
		expect(driver.acknowledged()).toBe(WRITES);
		expect([...outcomes].filter((o) => ![201, 409, 503].includes(o as number))).toEqual([]);
		expect(slowest).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS + MARGIN_MS);
		expect(result).toEqual({ notExactlyOnce: [], unacknowledgedStored: [], missingEvents: [] });
		expect(afterRestart.status).toBe(200);
		expect(afterRestart.body.pagination.total).toBeGreaterThanOrEqual(WRITES);
	}, 240_000);

	test("(c) a webhook worker killed with SIGKILL mid-delivery: the other takes over its deliveries and stream entries, every acknowledged write's event arrives", async () => {
		const hook = (receiver = await startReceiver());
		workers = await Promise.all([startWorker("w1"), startWorker("w2")]);
		const owner = await bootstrapAsync(cluster, "Worker Fault Org");
		const base = `/v1/organizations/${owner.organization_id}`;
		const endpoint = await client(gatewayA.url, owner.api_key).post(`${base}/webhooks`, {
			url: hook.url,
			events: ["customer.created"],
			retry_config: { max_retries: 5, retry_delay: 1000, backoff_multiplier: 1 },
		});
		expect(endpoint.status).toBe(201);
		// Every POST is held at first, so both workers have deliveries in flight at the kill.
		let holding = true;
		hook.answer = () => (holding ? { status: 200, hold: true } : { status: 200 });
		const driver = driverFor(owner);
		const load = driver.start();

		// A node keeps at most CONNECTIONS_PER_ORIGIN (10) POSTs open to one endpoint: more than
		// 10 held at once means each worker holds some.
		await until(() => hook.openHeld().length > 10, "POSTs held from both workers");
		await workers[0].kill("SIGKILL");
		await until(() => hook.received.some((r) => r.abandoned), "the killed worker's POSTs");
		holding = false;
		hook.releaseHeld({ status: 200 });
		await load;
		// The group's backlog holds the killed worker's entries until another worker claims them.
		const backlogWhileDead = await eventually(
			() => metricAt(metricsUrl(workers[1]), "channel_backlog"),
			(n) => n > 0,
		);
		// Up to 150 s each: the data node sees the worker gone after its heartbeat timeout, and
		// its stream entries are claimed after CHANNEL_MIN_IDLE_MS (60 s).
		const result = await eventually(
			() => check(gatewayB.url, owner, driver, hook.delivered()),
			(r) => r.undelivered?.length === 0,
		);
		const pending = await eventually(
			() => pendingEntries(),
			(n) => n === 0,
		);
		const backlogAfter = await eventually(
			() => metricAt(metricsUrl(workers[1]), "channel_backlog"),
			(n) => n === 0,
		);
		const cutOff = hook.received.filter((r) => r.abandoned);

		expect(driver.writes.filter((w) => w.refused)).toEqual([]);
		expect(driver.acknowledged()).toBe(WRITES);
		expect(result).toEqual({
			notExactlyOnce: [],
			unacknowledgedStored: [],
			missingEvents: [],
			undelivered: [],
		});
		// What the killed worker was sending came again, from the other, as the same delivery.
		expect(cutOff.length).toBeGreaterThan(0);
		for (const r of cutOff) {
			const again = hook.received.find(
				(x) => x.answered === 200 && x.headers["webhook-id"] === r.headers["webhook-id"],
			);
			expect(again?.headers["x-mantis-delivery"]).toBe(r.headers["x-mantis-delivery"]);
			expect(again?.raw.equals(r.raw)).toBe(true);
		}
		// Its claims were handed out again once the data node saw it gone (not a lease later),
		// and the messages it had read were claimed by the other worker and acknowledged.
		expect(data.logs()).toMatch(new RegExp(`Worker node ${namespace}-w1 left holding [1-9]`));
		expect(pending).toBe(0);
		expect(backlogWhileDead).toBeGreaterThan(0);
		expect(backlogAfter).toBe(0);
		expect(
			await metricAt(metricsUrl(workers[1]), "webhook_deliveries_total", 'outcome="success"'),
		).toBeGreaterThan(0);
	}, 300_000);

	test("(c) the killed worker restarts and rejoins, and on SIGTERM finishes the POST in hand before it exits", async () => {
		const hook = (receiver ??= await startReceiver());
		const owner = await bootstrapAsync(cluster, "Worker Rejoin Org");
		const base = `/v1/organizations/${owner.organization_id}`;
		const api = client(gatewayB.url, owner.api_key);
		const endpoint = await api.post(`${base}/webhooks`, {
			url: hook.url,
			events: ["customer.created"],
		});
		await Promise.all(workers.map((w) => w.stop()));
		workers = [await startWorker("w1")];
		hook.answer = () => ({ status: 200, hold: true });

		// The restarted worker alone is left, so the POST it holds shows it rejoined.
		const customer = (await api.post(`${base}/customers`, { name: "After", segment: "smb" }))
			.body.data;
		const ofCustomer = (r: Received) => r.body?.data?.object?.id === customer.id;
		await until(() => hook.openHeld().some(ofCustomer), "the restarted worker's POST");
		const stopping = workers[0].stop();
		// The channel adapter says so each second while it waits for the message in hand.
		await until(() => /Processing 1 message/.test(workers[0].logs()), "the drain");
		hook.releaseHeld({ status: 200 });
		await stopping;
		const log = await api.get(
			`${base}/webhooks/${endpoint.body.data.id}/deliveries?status=succeeded`,
		);

		expect(workers[0].exitCode()).toBe(0);
		expect(hook.received.filter(ofCustomer).map((r) => r.answered)).toEqual([200]);
		expect(log.body.pagination.total).toBe(1);
	}, 120_000);

	/** Entries of the deliver stream read by a worker and not acknowledged. */
	async function pendingEntries(): Promise<number> {
		const redis = new Redis(REDIS_URL);
		try {
			const [count] = (await redis.xpending(stream, "webhook-worker")) as [number];

			return count;
		} finally {
			redis.disconnect();
		}
	}
});
