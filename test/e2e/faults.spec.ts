/**
 * Faults under load, on the Redis transporter: two gateway nodes and one data node (NeDB, so
 * exactly one copy), separate processes. A load driver writes through both gateways with an
 * `Idempotency-Key` on every write and retries a failed write on the other gateway; the checker
 * then reads everything back. Killed nodes are started again and must rejoin.
 */
import {
	bootstrapAsync,
	client,
	freePort,
	type GatewayNode,
	type Owner,
	REDIS_URL,
	type Reply,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { dataServices } from "../../scripts/node";
import { check, LoadDriver } from "../helpers/load";
import { describeWithRedis } from "../helpers/redis";

const DATA_SERVICES = dataServices().join(",");
/** The request timeout of these nodes; the README's budget for an answer while a node is down. */
const REQUEST_TIMEOUT_MS = 4000;
/** Process start-up, scheduling on a busy machine: what an answer may take beyond the timeout. */
const MARGIN_MS = 4000;
const WRITES = 120;

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** The first 200 of `request`, tried for up to 30 s (or its last answer). */
async function eventuallyOk(request: () => Promise<Reply>): Promise<Reply> {
	const deadline = Date.now() + 30_000;
	let reply = await request();
	while (reply.status !== 200 && Date.now() < deadline) {
		await new Promise((r) => setTimeout(r, 500));
		reply = await request();
	}

	return reply;
}

describeWithRedis("faults under load through two gateway nodes", () => {
	const namespace = `t-${Math.random().toString(36).slice(2, 10)}`;
	const cluster = {
		TRANSPORTER: REDIS_URL,
		NAMESPACE: namespace,
		REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
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

	beforeAll(async () => {
		[portA, portB] = [await freePort(), await freePort()];
		data = await startNode(dataEnv);
		[gatewayA, gatewayB] = await Promise.all([
			startNode(gatewayEnv("gw-a", portA)),
			startNode(gatewayEnv("gw-b", portB)),
		]);
	}, 120_000);

	afterAll(async () => {
		await Promise.all([gatewayA?.stop(), gatewayB?.stop()]);
		await data?.stop();
	});

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
		const afterRestart = await eventuallyOk(() =>
			client(gatewayB.url, owner.api_key).get(
				`/v1/organizations/${owner.organization_id}/customers?limit=1`,
			),
		);

		expect(driver.writes.filter((w) => w.refused)).toEqual([]);
		expect(driver.acknowledged()).toBe(WRITES);
		expect([...outcomes].filter((o) => ![201, 409, 503].includes(o as number))).toEqual([]);
		expect(slowest).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS + MARGIN_MS);
		expect(result).toEqual({ notExactlyOnce: [], unacknowledgedStored: [], missingEvents: [] });
		expect(afterRestart.status).toBe(200);
		expect(afterRestart.body.pagination.total).toBeGreaterThanOrEqual(WRITES);
	}, 240_000);

	test.skip("TODO(#9): (c) one of two webhook workers killed mid-delivery, the other takes over its pending deliveries (needs the webhook delivery workers of #7)", () => {
		// Lands with the webhook delivery service: start two worker nodes (npm run cluster
		// --worker-services …), SIGKILL one while deliveries are pending, and check with a
		// loopback receiver that every acknowledged write's events arrive at least once.
	});
});
