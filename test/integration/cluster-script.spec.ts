/**
 * `npm run cluster`: the local topology comes up on the Redis transporter (and on NATS, its
 * channels still on Redis), both gateway nodes serve the same data through the one domain
 * node, worker nodes deliver its webhooks, and SIGTERM stops every node.
 */
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import Redis from "ioredis";
import { baseEnv, bootstrap, client, freePort, REDIS_URL, ROOT, tempDir } from "../helpers/gateway";
import { type Receiver, startReceiver } from "../helpers/receiver";
import { describeWithNats, NATS_URL } from "../helpers/nats";
import { describeWithRedis } from "../helpers/redis";

/** `/ready` on a fresh connection: a kept-alive one could go stale while bootstrap blocks. */
function ready(url: string): Promise<boolean> {
	return new Promise((resolve) => {
		http.get(`${url}/ready`, { agent: false }, (res) => {
			res.resume();
			resolve(res.statusCode === 200);
		}).on("error", () => resolve(false));
	});
}

/** The suite for one transporter; channels are always on Redis (REDIS_URL). */
function clusterSuite(transporter: string): void {
	const protocol = new URL(transporter).protocol;
	const namespace = `t-${Math.random().toString(36).slice(2, 10)}`;
	let cluster: ChildProcess;
	let output = "";
	let gateways: string[];
	let receiver: Receiver;

	beforeAll(async () => {
		receiver = await startReceiver();
		const ports = [await freePort(), await freePort()];
		gateways = ports.map((p) => `http://127.0.0.1:${p}`);
		cluster = spawn(
			path.join(ROOT, "node_modules", ".bin", "tsx"),
			[
				"scripts/cluster.ts",
				...["--gateway-ports", ports.join(","), "--metrics-port", "0"],
				...["--transporter", transporter, "--channels", REDIS_URL],
			],
			{
				cwd: ROOT,
				env: baseEnv({
					NAMESPACE: namespace,
					DATA_DIR: tempDir(),
					// The test's receiver listens on loopback.
					WEBHOOK_ALLOW_PRIVATE: "true",
				}),
				stdio: ["ignore", "pipe", "pipe"],
			},
		);
		cluster.stdout?.on("data", (d) => (output += d));
		cluster.stderr?.on("data", (d) => (output += d));
		const deadline = Date.now() + 90_000;
		while (!(await ready(gateways[0])) || !(await ready(gateways[1]))) {
			if (Date.now() > deadline || cluster.exitCode !== null)
				throw new Error(`cluster did not come up:\n${output.slice(-3000)}`);
			await new Promise((r) => setTimeout(r, 250));
		}
	}, 120_000);

	afterAll(async () => {
		if (cluster?.exitCode === null) cluster.kill("SIGKILL");
		await receiver?.close();
		// Only the stream this suite's cluster created; nothing else in the shared Redis.
		const redis = new Redis(REDIS_URL);
		await redis.del(`${namespace}.webhooks.deliver`);
		await redis.quit();
	});

	test("it announces each node and the services it runs", () => {
		expect(output).toMatch(/\[cluster\] domain: .*customers.*events/);
		expect(output).toMatch(/\[cluster\] gateway-1 on port \d+: api/);
		expect(output).toMatch(/\[cluster\] gateway-2 on port \d+: api/);
		expect(output).toContain(`[cluster] ${protocol}// namespace ${namespace}, channels on`);
		expect(output).toMatch(/\[cluster\] worker-1: webhook-worker\n/);
		expect(output).toMatch(/\[cluster\] worker-2: webhook-worker\n/);
		expect(output).not.toMatch(/\[cluster\] domain: .*webhook-worker/);
	});

	// The domain node runs no webhook-worker (above): only a worker node can have sent it.
	test("a write's webhook is delivered by a worker node, through the channel on Redis", async () => {
		const owner = bootstrap({ TRANSPORTER: transporter, NAMESPACE: namespace }, "Hooked Org");
		const base = `/v1/organizations/${owner.organization_id}`;
		const api = client(gateways[0], owner.api_key);
		const hook = await api.post(`${base}/webhooks`, {
			url: receiver.url,
			events: ["customer.created"],
		});
		receiver.secrets = [hook.body.data.secret];

		const created = await api.post(`${base}/customers`, { name: "Hooked", segment: "smb" });
		await receiver.waitFor("the delivery", (all) => all.length >= 1, 30_000);

		expect(receiver.received[0].body.data.object.id).toBe(created.body.data.id);
		expect(receiver.received[0].standardOk).toEqual(receiver.secrets);
	});

	test("a write through one gateway node is read through the other", async () => {
		const owner = bootstrap({ TRANSPORTER: transporter, NAMESPACE: namespace }, "Script Org");
		const base = `/v1/organizations/${owner.organization_id}/customers`;

		const created = await client(gateways[0], owner.api_key).post(base, {
			name: "Seen by both",
			segment: "smb",
		});
		const read = await client(gateways[1], owner.api_key).get(
			`${base}/${created.body.data.id}`,
		);

		expect(created.status).toBe(201);
		expect(read.body.data.name).toBe("Seen by both");
	});

	test("both gateway nodes spend one rate-limit quota per credential (a shared REDIS_URL)", async () => {
		const owner = bootstrap({ TRANSPORTER: transporter, NAMESPACE: namespace }, "Quota Org");
		const base = `/v1/organizations/${owner.organization_id}/customers`;

		const first = await client(gateways[0], owner.api_key).get(base);
		const second = await client(gateways[1], owner.api_key).get(base);

		const left = [first, second].map((r) => Number(r.headers.get("x-ratelimit-remaining")));
		expect(left[1]).toBe(left[0] - 1);
	});

	test("SIGTERM stops every node and the command exits 0", async () => {
		const exited = new Promise<number | null>((resolve) => cluster.once("exit", resolve));
		cluster.kill("SIGTERM");

		expect(await exited).toBe(0);
		expect(await ready(gateways[0])).toBe(false);
		expect(await ready(gateways[1])).toBe(false);
	});
}

describeWithRedis("npm run cluster on the Redis transporter", () => clusterSuite(REDIS_URL));

// Channels need Redis whatever the transporter.
(process.env.MANTIS_TEST_REDIS === "1" ? describeWithNats : describe.skip)(
	"npm run cluster on the NATS transporter",
	() => clusterSuite(NATS_URL),
);
