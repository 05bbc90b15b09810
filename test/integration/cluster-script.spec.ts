/**
 * `npm run cluster`: the local topology comes up on the Redis transporter, both gateway nodes
 * serve the same data through the one domain node, and SIGTERM stops every node.
 */
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { baseEnv, bootstrap, client, freePort, REDIS_URL, ROOT, tempDir } from "../helpers/gateway";
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

describeWithRedis("npm run cluster", () => {
	const namespace = `t-${Math.random().toString(36).slice(2, 10)}`;
	let cluster: ChildProcess;
	let output = "";
	let gateways: string[];

	beforeAll(async () => {
		const ports = [await freePort(), await freePort()];
		gateways = ports.map((p) => `http://127.0.0.1:${p}`);
		cluster = spawn(
			path.join(ROOT, "node_modules", ".bin", "tsx"),
			["scripts/cluster.ts", "--gateway-ports", ports.join(","), "--metrics-port", "0"],
			{
				cwd: ROOT,
				env: baseEnv({ NAMESPACE: namespace, TRANSPORTER: REDIS_URL, DATA_DIR: tempDir() }),
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

	afterAll(() => {
		if (cluster?.exitCode === null) cluster.kill("SIGKILL");
	});

	test("it announces each node and the services it runs", () => {
		expect(output).toMatch(/\[cluster\] domain: .*customers.*events/);
		expect(output).toMatch(/\[cluster\] gateway-1 on port \d+: api/);
		expect(output).toMatch(/\[cluster\] gateway-2 on port \d+: api/);
		expect(output).toMatch(/no worker nodes: no worker services/);
	});

	test("a write through one gateway node is read through the other", async () => {
		const owner = bootstrap(
			{ TRANSPORTER: REDIS_URL, NAMESPACE: namespace },
			"Cluster Script Org",
		);
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

	test("SIGTERM stops every node and the command exits 0", async () => {
		const exited = new Promise<number | null>((resolve) => cluster.once("exit", resolve));
		cluster.kill("SIGTERM");

		expect(await exited).toBe(0);
		expect(await ready(gateways[0])).toBe(false);
		expect(await ready(gateways[1])).toBe(false);
	});
});
