/**
 * Real gateway processes for tests: `npm run bootstrap`, then `scripts/server.ts` as a child
 * process on a free port, talked to over real HTTP. Nothing of the project is mocked.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

export interface Owner {
	organization_id: string;
	user_id: string;
	api_key: string;
}

export interface GatewayNode {
	url: string;
	port: number;
	env: Record<string, string>;
	/** Everything the process printed so far (stdout and stderr). */
	logs(): string;
	stop(): Promise<void>;
	kill(signal?: NodeJS.Signals): Promise<void>;
}

export function tempDir(prefix = "mantis-test-"): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
		server.on("error", reject);
	});
}

function baseEnv(extra: Record<string, string>): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
	for (const k of [
		"TRANSPORTER",
		"SERVICES",
		"MONGO_URI",
		"CACHER",
		"CHANNELS_URL",
		"REDIS_URL",
		"NODE_ID",
	])
		delete env[k];

	return { ...env, LOG_LEVEL: "warn", METRICS_PORT: "0", NODE_ENV: "test", ...extra };
}

/** `npm run bootstrap` against `dataDir` (or the cluster in `env`); returns its JSON line. */
export function bootstrap(
	env: Record<string, string>,
	org = "Test Org",
	email = `owner-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`,
	plan = "pro",
): Owner {
	const args = [
		"scripts/bootstrap.ts",
		"--org",
		org,
		"--email",
		email,
		"--password",
		"correct horse battery staple",
		"--plan",
		plan,
	];
	const result = spawnSync(TSX, args, {
		cwd: ROOT,
		env: baseEnv(env),
		encoding: "utf8",
		timeout: 60_000,
	});
	if (result.status !== 0) throw new Error(`bootstrap failed: ${result.stderr}`);

	return JSON.parse(result.stdout.trim().split("\n").pop() as string) as Owner;
}

async function waitFor(
	check: () => Promise<boolean>,
	timeoutMs: number,
	what: string,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (await check().catch(() => false)) return;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`timed out waiting for ${what}`);
}

/** Starts one node; resolves once `/ready` answers 200 (or, without the api service, once it logs "started"). */
export async function startNode(
	env: Record<string, string>,
	opts: { waitReady?: boolean } = {},
): Promise<GatewayNode> {
	const port = env.PORT ? Number(env.PORT) : await freePort();
	const fullEnv = baseEnv({ PORT: String(port), ...env });
	// `node --import tsx` runs the server in this very child: `kill("SIGKILL")` kills the server
	// itself (the tsx launcher would die alone and leave its own child running).
	const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/server.ts"], {
		cwd: ROOT,
		env: fullEnv,
		stdio: ["ignore", "pipe", "pipe"],
	});
	let output = "";
	child.stdout?.on("data", (d) => (output += d));
	child.stderr?.on("data", (d) => (output += d));
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
	const url = `http://127.0.0.1:${port}`;
	const node: GatewayNode = {
		url,
		port,
		env: fullEnv,
		logs: () => output,
		async stop() {
			if (child.exitCode === null) child.kill("SIGTERM");
			await exited;
		},
		async kill(signal: NodeJS.Signals = "SIGKILL") {
			if (child.exitCode === null) child.kill(signal);
			await exited;
		},
	};
	const servesHttp = !fullEnv.SERVICES || fullEnv.SERVICES.split(",").includes("api");
	try {
		if (servesHttp && opts.waitReady !== false) {
			await waitFor(
				async () => child.exitCode !== null || (await fetch(`${url}/ready`)).status === 200,
				60_000,
				`${url}/ready`,
			);
		} else {
			await waitFor(
				async () => output.includes("started (") || child.exitCode !== null,
				60_000,
				"node start",
			);
		}
		if (child.exitCode !== null) throw new Error(`node exited: ${output.slice(-2000)}`);
	} catch (err) {
		await node.kill();
		throw new Error(`${(err as Error).message}\n${output.slice(-3000)}`);
	}

	return node;
}

export interface Reply<T = any> {
	status: number;
	headers: Headers;
	// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are checked field by field
	body: T;
}

/** A tiny HTTP client: JSON in, JSON out, the credential in `Authorization`. */
export function client(baseUrl: string, credential?: string) {
	async function request(
		method: string,
		urlPath: string,
		body?: unknown,
		headers: Record<string, string> = {},
	): Promise<Reply> {
		const init: RequestInit = { method, headers: { ...headers } };
		if (credential)
			(init.headers as Record<string, string>).authorization = `Bearer ${credential}`;
		if (body !== undefined) {
			(init.headers as Record<string, string>)["content-type"] ??= "application/json";
			init.body = typeof body === "string" ? body : JSON.stringify(body);
		}
		const res = await fetch(baseUrl + urlPath, init);
		const text = await res.text();
		let parsed: unknown = text;
		try {
			parsed = text ? JSON.parse(text) : undefined;
		} catch {
			// not JSON: keep the text
		}

		return { status: res.status, headers: res.headers, body: parsed };
	}

	return {
		get: (p: string, h?: Record<string, string>) => request("GET", p, undefined, h),
		post: (p: string, b?: unknown, h?: Record<string, string>) =>
			request("POST", p, b ?? {}, h),
		put: (p: string, b?: unknown, h?: Record<string, string>) => request("PUT", p, b ?? {}, h),
		patch: (p: string, b?: unknown, h?: Record<string, string>) =>
			request("PATCH", p, b ?? {}, h),
		delete: (p: string, b?: unknown, h?: Record<string, string>) => request("DELETE", p, b, h),
		request,
	};
}

export type Client = ReturnType<typeof client>;

/** Redis for suites that need it: reported skipped by name when absent, a failure under CI=true. */
export async function redisAvailable(
	url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
): Promise<boolean> {
	const { hostname, port } = new URL(url);

	return new Promise((resolve) => {
		const socket = net.connect(Number(port || 6379), hostname);
		socket.setTimeout(1000);
		socket.once("connect", () => {
			socket.write("PING\r\n");
		});
		socket.once("data", (d) => {
			socket.end();
			resolve(d.toString().startsWith("+PONG"));
		});
		socket.once("error", () => resolve(false));
		socket.once("timeout", () => {
			socket.destroy();
			resolve(false);
		});
	});
}

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
