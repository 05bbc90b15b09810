/**
 * The operator commands of `npm run repl`, typed into the REPL itself: embedded (the REPL is
 * the whole gateway on the store) and joined to a running cluster on the Redis transporter.
 */
import {
	bootstrap,
	client,
	freePort,
	type GatewayNode,
	type NodePair,
	type Owner,
	REDIS_URL,
	startNode,
	startPair,
	tempDir,
} from "../helpers/gateway";
import { describeWithRedis } from "../helpers/redis";
import { until } from "../helpers/poll";
import { startReceiver } from "../helpers/receiver";
import { type Repl, startRepl } from "../helpers/repl";

interface OrgUsage {
	id: string;
	name: string;
	plan: string;
	usage: { customers: number | null; orders: number | null; active_api_keys: number | null };
}

function usageOf(output: string, orgId: string): OrgUsage | undefined {
	return (JSON.parse(output) as OrgUsage[]).find((o) => o.id === orgId);
}

describe("the operator REPL on an embedded gateway", () => {
	const dataDir = tempDir();
	let owner: Owner;
	let extraKeyId: string;
	let extraKey: string;
	let repl: Repl;
	let port: number;

	beforeAll(async () => {
		owner = bootstrap({ DATA_DIR: dataDir }, "Repl Org", undefined, "pro");
		const node: GatewayNode = await startNode({ DATA_DIR: dataDir });
		const api = client(node.url, owner.api_key);
		const base = `/v1/organizations/${owner.organization_id}`;
		await api.post(`${base}/customers`, { name: "One", segment: "smb" });
		await api.post(`${base}/customers`, { name: "Two", segment: "startup" });
		const created = await api.post("/v1/auth/api-keys", { name: "integration" });
		extraKeyId = created.body.data.id;
		extraKey = created.body.data.key;
		await node.stop();

		port = await freePort();
		// The webhook test's receiver listens on loopback.
		repl = await startRepl({
			DATA_DIR: dataDir,
			PORT: String(port),
			WEBHOOK_ALLOW_PRIVATE: "true",
		});
	});

	afterAll(async () => {
		await repl?.close();
	});

	test("orgs lists each organization with its customers and active keys", async () => {
		const json = await repl.run("orgs --json");
		const table = await repl.run("orgs");

		expect(usageOf(json, owner.organization_id)).toEqual({
			id: owner.organization_id,
			name: "Repl Org",
			plan: "pro",
			usage: { customers: 2, orders: 0, active_api_keys: 2 },
		});
		expect(table.split("\n")[0]).toMatch(
			/^id\s+name\s+plan\s+customers\s+orders\s+active keys$/,
		);
		expect(table).toMatch(
			new RegExp(`${owner.organization_id}\\s+Repl Org\\s+pro\\s+2\\s+0\\s+2`),
		);
	});

	test("revoke-key revokes at once: the gateway refuses the key and orgs counts one key less", async () => {
		const gateway = `http://127.0.0.1:${port}`;
		const ownPath = `/v1/organizations/${owner.organization_id}/customers`;
		const before = await client(gateway, extraKey).get(ownPath);
		const revoked = await repl.run(`revoke-key ${extraKeyId}`);
		const again = await repl.run(`revoke-key ${extraKeyId}`);
		const unknown = await repl.run("revoke-key 00000000-0000-0000-0000-000000000000");
		const after = await client(gateway, extraKey).get(ownPath);
		const stored = await client(gateway, owner.api_key).get(`/v1/auth/api-keys/${extraKeyId}`);
		const usage = usageOf(await repl.run("orgs --json"), owner.organization_id);

		expect(before.status).toBe(200);
		expect(revoked).toBe(
			`API key ${extraKeyId} of organization ${owner.organization_id} is revoked.`,
		);
		expect(again).toMatch(/was already revoked/);
		expect(unknown).toBe("No API key has the id 00000000-0000-0000-0000-000000000000.");
		expect(after.status).toBe(401);
		expect(stored.body.data.is_active).toBe(false);
		expect(usage?.usage.active_api_keys).toBe(1);
	});

	test("reset-limit gives a key that spent its hourly quota a full one again", async () => {
		const gateway = client(`http://127.0.0.1:${port}`, owner.api_key);
		const key = (
			await gateway.post("/v1/auth/api-keys", { name: "tight", rate_limit_per_hour: 2 })
		).body.data;
		const limited = client(`http://127.0.0.1:${port}`, key.key);
		const ownPath = `/v1/organizations/${owner.organization_id}/customers`;
		const spent = [await limited.get(ownPath), await limited.get(ownPath)];
		const refused = await limited.get(ownPath);

		const reset = await repl.run(`reset-limit ${key.id}`);
		const after = await limited.get(ownPath);

		expect(spent.map((r) => r.status)).toEqual([200, 200]);
		expect(refused.status).toBe(429);
		expect(reset).toBe(`The rate limit of API key ${key.id} is reset.`);
		expect(after.status).toBe(200);
		expect(after.headers.get("x-ratelimit-remaining")).toBe("1");
	});

	test("set-plan moves an organization to another plan, and the gateway applies its quota", async () => {
		const gateway = client(`http://127.0.0.1:${port}`, owner.api_key);
		const moved = await repl.run(`set-plan ${owner.organization_id} enterprise`);
		const unknown = await repl.run("set-plan 00000000-0000-0000-0000-000000000000 pro");
		const read = await gateway.get(`/v1/organizations/${owner.organization_id}`);

		expect(moved).toBe(`Organization ${owner.organization_id} is on the enterprise plan.`);
		expect(unknown).toBe("No organization has the id 00000000-0000-0000-0000-000000000000.");
		expect(read.body.data.plan).toBe("enterprise");
		expect(read.headers.get("x-ratelimit-limit")).toBe("100000");
		expect(await repl.run(`set-plan ${owner.organization_id} platinum`)).toMatch(/Failed/);
	});

	test("set-plan to a smaller plan lowers the keys whose own limit exceeds its quota", async () => {
		const gateway = client(`http://127.0.0.1:${port}`, owner.api_key);
		await repl.run(`set-plan ${owner.organization_id} enterprise`);
		const key = (
			await gateway.post("/v1/auth/api-keys", { name: "big", rate_limit_per_hour: 50_000 })
		).body.data;

		const moved = await repl.run(`set-plan ${owner.organization_id} pro`);
		const used = await client(`http://127.0.0.1:${port}`, key.key).get(
			`/v1/organizations/${owner.organization_id}`,
		);

		expect(key.rate_limit_per_hour).toBe(50_000);
		expect(moved).toBe(`Organization ${owner.organization_id} is on the pro plan.`);
		expect(used.headers.get("x-ratelimit-limit")).toBe("10000");
	});

	test("the webhook commands list dead deliveries and refuse an unknown one clearly", async () => {
		expect(await repl.run("dead-deliveries")).toMatch(/^No dead deliveries/);
		expect(await repl.run(`dead-deliveries ${owner.organization_id}`)).toMatch(
			/^No dead deliveries/,
		);
		expect(await repl.run("redeliver 00000000-0000-4000-8000-000000000000")).toMatch(
			/No such delivery/,
		);
		// The embedded gateway's worker consumes in-process and holds no message right now.
		expect(await repl.run("backlog")).toMatch(/webhooks\.deliver\s+webhook-worker\s+\S+\s+0$/m);
	});

	test("dead-deliveries lists a delivery that ran out of retries, and redeliver sends it again", async () => {
		const receiver = await startReceiver();
		receiver.answer = () => ({ status: 500 });
		const api = client(`http://127.0.0.1:${port}`, owner.api_key);
		const base = `/v1/organizations/${owner.organization_id}`;
		const hook = await api.post(`${base}/webhooks`, {
			url: receiver.url,
			events: ["customer.created"],
			retry_config: { max_retries: 0, retry_delay: 100, backoff_multiplier: 1 },
		});
		const deliveries = `${base}/webhooks/${hook.body.data.id}/deliveries`;
		const statusOf = async () => (await api.get(deliveries)).body.data[0]?.status;
		try {
			await api.post(`${base}/customers`, { name: "Undeliverable", segment: "smb" });
			await until(async () => (await statusOf()) === "dead", "the delivery dead");
			const id = (await api.get(deliveries)).body.data[0].id;

			const listed = await repl.run(`dead-deliveries ${owner.organization_id}`);
			receiver.answer = () => ({ status: 200 });
			const redelivered = await repl.run(`redeliver ${id}`);
			await until(async () => (await statusOf()) === "succeeded", "the redelivery");

			expect(listed.split("\n")[0]).toMatch(/^id\s+organization\s+webhook\s+event/);
			expect(listed).toMatch(
				new RegExp(
					`${id}\\s+${owner.organization_id}\\s+\\S+\\s+customer\\.created\\s+1\\s`,
				),
			);
			expect(redelivered).toBe(`Delivery ${id} is scheduled again (status pending).`);
			expect(receiver.received.map((r) => r.answered)).toEqual([500, 200]);
			expect(await repl.run("dead-deliveries")).toMatch(/^No dead deliveries/);
		} finally {
			await receiver.close();
		}
	});

	test.each([
		["orgs", /List organizations with their usage/],
		["revoke-key", /revoke-key \[options\] <id>[\s\S]*Revoke an API key/],
		["set-plan", /set-plan \[options\] <orgId> <plan>[\s\S]*another plan/],
		["reset-limit", /reset-limit \[options\] <keyId>[\s\S]*rate-limit window/],
		["dead-deliveries", /dead-deliveries \[options\] \[org\][\s\S]*dead webhook deliveries/],
		["redeliver", /redeliver \[options\] <deliveryId>[\s\S]*Schedule a webhook delivery/],
		["backlog", /backlog[\s\S]*channel consumer group/],
	])("%s --help explains the command", async (command, help) => {
		expect(await repl.run(`${command} --help`)).toMatch(help);
	});

	test("closing the input stops the REPL and its embedded gateway cleanly", async () => {
		const code = await repl.close();

		expect(code).toBe(0);
		await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
	});
});

describeWithRedis("the operator REPL joined to a cluster on the Redis transporter", () => {
	let pair: NodePair;
	let repl: Repl;

	beforeAll(async () => {
		pair = await startPair(REDIS_URL);
	});

	afterAll(async () => {
		await repl?.close();
		await pair?.stop();
	});

	test("a key revoked in the REPL is refused by a gateway in another process at once", async () => {
		const { cluster, gateway } = pair;
		const owner = bootstrap(cluster, "Cluster Repl Org");
		const api = client(gateway.url, owner.api_key);
		const key = (await api.post("/v1/auth/api-keys", { name: "to revoke" })).body.data;
		const before = await client(gateway.url, key.key).get(
			`/v1/organizations/${owner.organization_id}/customers`,
		);
		repl = await startRepl({ ...cluster, DATA_DIR: tempDir() });

		const listed = usageOf(await repl.run("orgs --json"), owner.organization_id);
		const revoked = await repl.run(`revoke-key ${key.id}`);
		const after = await client(gateway.url, key.key).get(
			`/v1/organizations/${owner.organization_id}/customers`,
		);

		expect(before.status).toBe(200);
		expect(listed?.usage).toEqual({ customers: 0, orders: 0, active_api_keys: 2 });
		expect(revoked).toMatch(/is revoked\.$/);
		expect(after.status).toBe(401);
	});
});
