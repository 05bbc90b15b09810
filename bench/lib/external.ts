/**
 * Scenarios other parts of the platform bring along as their own scripts (`bench/<name>.ts`):
 * socket.io fan-out and webhook deliveries. The runner starts each against the running gateway
 * (`--url URL --api-key KEY`, and the same in `BENCH_*` variables) and takes as its result the
 * JSON object on the last line it prints or, failing that, the `bench/results/<name>.json` it
 * wrote. A script that does not exist yet is reported skipped, with a note.
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

function resultOf(script: string, stdout: string, startedAt: number): Record<string, unknown> {
	// The result is the last JSON line; a summary for people may follow it.
	const last = stdout
		.trim()
		.split("\n")
		.reverse()
		.find((line) => line.startsWith("{"));
	if (last) return JSON.parse(last) as Record<string, unknown>;
	const file = path.join(ROOT, "bench", "results", script.replace(/\.ts$/, ".json"));
	if (fs.existsSync(file) && fs.statSync(file).mtimeMs >= startedAt)
		return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
	throw new Error("it printed no JSON result and wrote no report");
}

export async function runExternal(
	script: string,
	env: ExternalEnv,
	timeoutMs: number,
): Promise<ExternalResult> {
	const file = path.join(ROOT, "bench", script);
	if (!fs.existsSync(file))
		return { ok: false, note: `bench/${script} is not on this branch yet` };

	return new Promise((resolve) => {
		const started = Date.now();
		const args = [
			"--import",
			"tsx",
			file,
			"--url",
			env.BENCH_URL,
			"--api-key",
			env.BENCH_API_KEY,
		];
		const child = spawn(process.execPath, args, {
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
			try {
				if (code !== 0) throw new Error(`exited with ${code}`);
				resolve({ ok: true, result: resultOf(script, stdout, started) });
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
