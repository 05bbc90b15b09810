/**
 * A node whose port is taken ends at once with one line naming the port, instead of running on
 * without serving (PORT) or dying with a raw stack (METRICS_PORT).
 */
import { spawnSync } from "node:child_process";
import net from "node:net";
import { baseEnv, freePort, nodeCommand, ROOT, tempDir } from "../helpers/gateway";

/** A port held by this test process until `close`. */
async function takenPort(): Promise<{ port: number; close: () => Promise<void> }> {
	const server = net.createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as net.AddressInfo;

	return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function startNode(env: Record<string, string>): { status: number | null; output: string } {
	const [cmd, args] = nodeCommand("scripts/server.ts");
	const run = spawnSync(cmd, args, {
		cwd: ROOT,
		env: baseEnv({ HOST: "127.0.0.1", DATA_DIR: tempDir("mantis-listen-"), ...env }),
		encoding: "utf8",
		timeout: 60_000,
	});

	return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("a node that cannot open its port", () => {
	test("a taken PORT ends the gateway with exit code 1 and one line naming the port", async () => {
		const held = await takenPort();
		try {
			const run = startNode({ PORT: String(held.port) });

			expect(run.status).toBe(1);
			const lines = run.output.split("\n").filter((l) => l.includes(String(held.port)));
			expect(lines).toHaveLength(1);
			expect(lines[0]).toContain(`PORT ${held.port} is in use`);
			expect(run.output).not.toContain("Server error");
		} finally {
			await held.close();
		}
	});

	test("a taken METRICS_PORT ends the node with exit code 1, one line and no stack", async () => {
		const held = await takenPort();
		try {
			const run = startNode({
				PORT: String(await freePort()),
				METRICS_PORT: String(held.port),
			});

			expect(run.status).toBe(1);
			const lines = run.output.split("\n").filter((l) => l.includes(String(held.port)));
			expect(lines).toHaveLength(1);
			expect(lines[0]).toContain(`METRICS_PORT ${held.port} is in use`);
			expect(run.output).not.toMatch(/^\s+at /m);
		} finally {
			await held.close();
		}
	});
});
