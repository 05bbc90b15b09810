/**
 * Real gateway processes for tests: `npm run bootstrap`, then `scripts/server.ts` as a child
 * process on a free port, talked to over real HTTP. Nothing of the project is mocked.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { dataServices } from "../../scripts/node";

export const ROOT = path.resolve(__dirname, "..", "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

/**
 * A TypeScript script as ONE process (tsx as a loader, not its wrapper process), so a signal
 * reaches the node itself: SIGKILL of the tsx wrapper would leave the real node running.
 */
export function nodeCommand(script: string): [string, string[]] {
	return [process.execPath, ["--import", "tsx", script]];
}

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
	/** The exit code once the process has ended (null before, or when ended by a signal). */
	exitCode(): number | null;
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

/**
 * The environment of a spawned process: this one's, without cluster settings, quiet, no /metrics.
 */
export function baseEnv(extra: Record<string, string>): Record<string, string> {
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

function bootstrapArgs(org: string, email: string, plan: string, keyRateLimit?: number): string[] {
	return [
		"scripts/bootstrap.ts",
		"--org",
		org,
		"--email",
		email,
		"--password",
		"correct horse battery staple",
		"--plan",
		plan,
		...(keyRateLimit === undefined ? [] : ["--key-rate-limit", String(keyRateLimit)]),
	];
}

function newEmail(): string {
	return `owner-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`;
}

function ownerFrom(status: number | null, stdout: string, stderr: string): Owner {
	if (status !== 0) throw new Error(`bootstrap failed: ${stderr}`);
	const line = stdout.split("\n").find((l) => l.startsWith('{"organization_id"'));
	if (!line) throw new Error(`bootstrap printed no result: ${stdout}`);

	return JSON.parse(line) as Owner;
}

/** `npm run bootstrap` against `dataDir` (or the cluster in `env`); returns its JSON line. */
export function bootstrap(
	env: Record<string, string>,
	org = "Test Org",
	email = newEmail(),
	plan = "pro",
	/** The owner key's own hourly limit (an operator's choice, may exceed the plan). */
	keyRateLimit?: number,
): Owner {
	const result = spawnSync(TSX, bootstrapArgs(org, email, plan, keyRateLimit), {
		cwd: ROOT,
		env: baseEnv(env),
		encoding: "utf8",
		timeout: 60_000,
	});

	return ownerFrom(result.status, result.stdout, result.stderr);
}

/**
 * `bootstrap` without blocking the test's event loop: kept-alive client sockets whose server
 * closes them meanwhile are then noticed, instead of failing the next request.
 */
export async function bootstrapAsync(
	env: Record<string, string>,
	org = "Test Org",
	plan = "pro",
): Promise<Owner> {
	const child = spawn(TSX, bootstrapArgs(org, newEmail(), plan), {
		cwd: ROOT,
		env: baseEnv(env),
	});
	let stdout = "";
	let stderr = "";
	child.stdout.on("data", (d) => (stdout += d));
	child.stderr.on("data", (d) => (stderr += d));
	const status = await new Promise<number | null>((resolve) => child.once("exit", resolve));

	return ownerFrom(status, stdout, stderr);
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

/**
 * Starts one node; resolves once `/ready` answers 200
 * (or, without the api service, once it logs "started").
 */
export async function startNode(
	env: Record<string, string>,
	opts: { waitReady?: boolean } = {},
): Promise<GatewayNode> {
	const port = env.PORT ? Number(env.PORT) : await freePort();
	const servesHttp = !env.SERVICES || env.SERVICES.split(",").includes("api");
	// A node without the gateway says it started only at info level.
	const fullEnv = baseEnv({
		PORT: String(port),
		...(servesHttp ? {} : { LOG_LEVEL: "info" }),
		...env,
	});
	const child: ChildProcess = spawn(...nodeCommand("scripts/server.ts"), {
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
		exitCode: () => child.exitCode,
		async stop() {
			if (child.exitCode === null) child.kill("SIGTERM");
			await exited;
		},
		async kill(signal: NodeJS.Signals = "SIGKILL") {
			if (child.exitCode === null) child.kill(signal);
			await exited;
		},
	};
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
	// `any` on purpose: test bodies are checked field by field.
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
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
		// One connection per request: a kept-alive socket can be closed by the server while a
		// synchronous `bootstrap` blocks this process, and would fail the next request.
		const init: RequestInit = { method, headers: { connection: "close", ...headers } };
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

export interface OrganizationGateway {
	owner: Owner;
	node: GatewayNode;
	api: Client;
	/** `/v1/organizations/<id>` of the owner's organization. */
	base: string;
	dataDir: string;
	/** Owners of the further organizations asked for (`options.others`), in order. */
	others: Owner[];
}

/** A fresh DATA_DIR with one bootstrapped organization, and a gateway node on it. */
export async function organizationGateway(
	org: string,
	env: Record<string, string> = {},
	/**
	 * The plan, the owner key's own hourly limit (an operator's choice) given to bootstrap, and
	 * the names of further organizations bootstrapped beside it.
	 */
	options: { plan?: string; keyRateLimit?: number; others?: string[] } = {},
): Promise<OrganizationGateway> {
	const dataDir = tempDir();
	const { plan = "pro", keyRateLimit, others = [] } = options;
	const owner = bootstrap({ DATA_DIR: dataDir }, org, newEmail(), plan, keyRateLimit);
	const otherOwners = others.map((name) => bootstrap({ DATA_DIR: dataDir }, name));
	const node = await startNode({ DATA_DIR: dataDir, ...env });

	return {
		owner,
		node,
		dataDir,
		others: otherOwners,
		api: client(node.url, owner.api_key),
		base: `/v1/organizations/${owner.organization_id}`,
	};
}

/** Creates a record by `POST {base}/{path}`, expecting 201; the record. */
export async function createdIn(api: Client, base: string, path: string, body: object) {
	const res = await api.post(`${base}/${path}`, body);
	expect(res.status).toBe(201);

	return res.body.data;
}

export interface NodePair {
	/** The transporter settings both nodes share (a random namespace on `transporter`). */
	cluster: Record<string, string>;
	data: GatewayNode;
	gateway: GatewayNode;
	stop(): Promise<void>;
}

/** A data node (every service but the gateway's) and a gateway node (`api`) on `transporter`. */
export async function startPair(transporter: string): Promise<NodePair> {
	const cluster = {
		TRANSPORTER: transporter,
		NAMESPACE: `t-${Math.random().toString(36).slice(2, 10)}`,
	};
	const data = await startNode({
		...cluster,
		SERVICES: dataServices().join(","),
		DATA_DIR: tempDir(),
	});
	const gateway = await startNode({ ...cluster, SERVICES: "api", DATA_DIR: tempDir() });

	return {
		cluster,
		data,
		gateway,
		async stop() {
			await gateway.stop();
			await data.stop();
		},
	};
}
