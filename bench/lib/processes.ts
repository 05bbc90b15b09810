/**
 * The processes a benchmark run measures: the gateway on the embedded default and the bare
 * `node:http` baseline. Both run as plain `node` processes (TypeScript through the tsx loader,
 * not the tsx CLI, which would put a wrapper process in between), so the pid we read resident
 * memory from is the server itself.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort, ROOT } from "../../test/helpers/gateway";

export interface Server {
	url: string;
	pid: number;
	logs(): string;
	stop(): Promise<void>;
}

/** Resident memory of a process in MiB, from /proc (Linux); undefined elsewhere. */
export function residentMiB(pid: number): number | undefined {
	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
		const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);

		return Number.isFinite(kb) ? Math.round((kb / 1024) * 10) / 10 : undefined;
	} catch {
		return undefined;
	}
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc (Linux). */
export function cpuSeconds(pid: number): number | undefined {
	try {
		// Fields after the command name: utime and stime
		// are the 12th and 13th (clock ticks, 100/s).
		const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
		const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");

		return (Number(fields[11]) + Number(fields[12])) / 100;
	} catch {
		return undefined;
	}
}

function cleanEnv(extra: Record<string, string>): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
	// The embedded default: whatever the shell has for a cluster is not what we measure.
	for (const k of ["TRANSPORTER", "SERVICES", "MONGO_URI", "CACHER", "CHANNELS_URL", "REDIS_URL"])
		delete env[k];

	return { ...env, ...extra };
}

async function waitUntil(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (await check().catch(() => false)) return;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`timed out waiting for ${what}`);
}

function spawnServer(script: string, env: Record<string, string>): ChildProcess {
	return spawn(process.execPath, ["--import", "tsx", script], {
		cwd: ROOT,
		env: cleanEnv(env),
		stdio: ["ignore", "pipe", "pipe"],
	});
}

function wrap(child: ChildProcess, url: string, output: () => string): Server {
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

	return {
		url,
		pid: child.pid as number,
		logs: output,
		async stop() {
			if (child.exitCode === null) child.kill("SIGTERM");
			await exited;
		},
	};
}

/** `npm start` on `dataDir`, ready once `/ready` answers 200. */
export async function startGateway(
	dataDir: string,
	env: Record<string, string> = {},
): Promise<Server> {
	const port = await freePort();
	const child = spawnServer(path.join("scripts", "server.ts"), {
		PORT: String(port),
		HOST: "127.0.0.1",
		DATA_DIR: dataDir,
		NODE_ENV: "production",
		LOG_LEVEL: "warn",
		METRICS_PORT: "0",
		...env,
	});
	let output = "";
	child.stdout?.on("data", (d) => (output += d));
	child.stderr?.on("data", (d) => (output += d));
	const server = wrap(child, `http://127.0.0.1:${port}`, () => output);
	try {
		await waitUntil(
			async () => {
				if (child.exitCode !== null) throw new Error(`gateway exited:\n${output}`);

				return (await fetch(`${server.url}/ready`)).status === 200;
			},
			60_000,
			"the gateway to be ready",
		);
	} catch (err) {
		await server.stop();
		throw err;
	}

	return server;
}

/** The `node:http` baseline answering `body` to everything. */
export async function startBaseline(body: string): Promise<Server> {
	const port = await freePort();
	const child = spawnServer(path.join("bench", "baseline-server.ts"), {
		PORT: String(port),
		BASELINE_BODY: body,
	});
	let output = "";
	child.stdout?.on("data", (d) => (output += d));
	child.stderr?.on("data", (d) => (output += d));
	const server = wrap(child, `http://127.0.0.1:${port}`, () => output);
	await waitUntil(async () => output.includes("listening"), 20_000, "the baseline server");

	return server;
}
