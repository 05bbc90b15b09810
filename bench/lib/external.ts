/**
 * Scenarios other parts of the platform bring along as their own scripts (`bench/<name>.ts`):
 * socket.io fan-out and webhook deliveries. The runner starts each with the running gateway's
 * address and a credential, and takes the JSON object on the last line it prints as its result.
 * A script that does not exist yet is reported skipped, with a note.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "../../test/helpers/gateway";

export interface ExternalEnv {
	BENCH_URL: string;
	BENCH_API_KEY: string;
	BENCH_ORGANIZATION_ID: string;
	BENCH_DATA_DIR: string;
}

export type ExternalResult =
	{ ok: true; result: Record<string, unknown> } | { ok: false; note: string };

export async function runExternal(
	script: string,
	env: ExternalEnv,
	timeoutMs: number,
): Promise<ExternalResult> {
	const file = path.join(ROOT, "bench", script);
	if (!fs.existsSync(file))
		return { ok: false, note: `bench/${script} is not on this branch yet` };

	return new Promise((resolve) => {
		const child = spawn(process.execPath, ["--import", "tsx", file], {
			cwd: ROOT,
			env: { ...process.env, ...env },
			stdio: ["ignore", "pipe", "pipe"],
		});
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (d) => (stdout += d));
		child.stderr.on("data", (d) => (stderr += d));
		const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
		child.once("exit", (code) => {
			clearTimeout(timer);
			const last = stdout.trim().split("\n").pop() ?? "";
			try {
				if (code !== 0) throw new Error(`exited with ${code}`);
				resolve({ ok: true, result: JSON.parse(last) as Record<string, unknown> });
			} catch (err) {
				const why = (err as Error).message;
				resolve({
					ok: false,
					note: `bench/${script} failed (${why}): ${stderr.slice(-300)}`,
				});
			}
		});
	});
}
