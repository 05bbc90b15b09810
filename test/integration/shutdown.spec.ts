/**
 * Graceful shutdown: on SIGTERM a node stops taking connections at once, lets the request it
 * is in the middle of run to its end, then exits 0, with the write stored.
 */
import http from "node:http";
import { bootstrap, client, type Owner, startNode, tempDir } from "../helpers/gateway";

async function until(check: () => boolean, what: string): Promise<void> {
	const deadline = Date.now() + 30_000;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

describe("SIGTERM with a request in flight", () => {
	const dataDir = tempDir();
	let owner: Owner;

	beforeAll(() => {
		owner = bootstrap({ DATA_DIR: dataDir });
	});

	test("the in-flight request completes, new connections are refused, the node exits 0", async () => {
		const node = await startNode({ DATA_DIR: dataDir, LOG_LEVEL: "info" });
		const path = `/v1/organizations/${owner.organization_id}/customers`;
		const body = JSON.stringify({ name: "Finished during shutdown", segment: "smb" });

		// The client sends half its body, so the request is still in flight when SIGTERM lands.
		const req = http.request(`${node.url}${path}`, {
			method: "POST",
			headers: {
				authorization: `Bearer ${owner.api_key}`,
				"content-type": "application/json",
				"content-length": Buffer.byteLength(body),
			},
		});
		const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
			req.on("response", (res) => {
				let text = "";
				res.on("data", (d) => (text += d));
				res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
			});
			req.on("error", reject);
		});
		req.write(body.slice(0, 10));
		await new Promise((r) => setTimeout(r, 300));

		const exited = node.kill("SIGTERM");
		await until(() => node.logs().includes("in-flight HTTP request"), "the drain to begin");
		const refused = await fetch(`${node.url}/health`).then(
			() => false,
			() => true,
		);
		req.end(body.slice(10));
		const reply = await answer;
		await exited;

		const restarted = await startNode({ DATA_DIR: dataDir });
		const listed = await client(restarted.url, owner.api_key).get(
			`${path}?name=${encodeURIComponent("Finished during shutdown")}`,
		);
		await restarted.stop();

		expect(refused).toBe(true);
		expect(reply.status).toBe(201);
		expect(JSON.parse(reply.body).data.name).toBe("Finished during shutdown");
		expect(node.exitCode()).toBe(0);
		expect(listed.body.data).toHaveLength(1);
	});
});
