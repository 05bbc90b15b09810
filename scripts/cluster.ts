/**
 * `npm run cluster`: a local multi-node topology, one process per node, on a transporter
 * (Redis by default, `--transporter nats://127.0.0.1:4222` for NATS):
 *
 *   gateway-1, gateway-2   SERVICES=api (+ io)       PORT, PORT+1
 *   domain                 every data service        (the one copy NeDB allows)
 *   worker-1, worker-2     webhook-worker            (stateless consumers; --worker-services)
 *
 * Each node is `npm start` with its own NODE_ID, SERVICES, PORT and METRICS_PORT, and every node
 * shares one CHANNELS_URL on Redis: the workers are one consumer group of the `webhooks.deliver`
 * stream, so the domain node's messages reach whichever worker is free. Every node also gets one
 * REDIS_URL (REDIS_URL, else the transporter's Redis, else the local one), so the gateways count
 * each credential's quota together instead of each granting the whole of it. A node that
 * dies is started again after a second, so it rejoins; SIGINT or SIGTERM stops them all
 * gracefully. Output lines are prefixed with the node's name.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { parseArgs } from "node:util";
import { config } from "../models/config";
import { availableServices, GATEWAY_SERVICES, WORKER_SERVICES } from "./node";

const ROOT = path.resolve(__dirname, "..");
const RESTART_DELAY_MS = 1000;

const DEFAULT_REDIS = "redis://127.0.0.1:6379";

const USAGE = `usage: npm run cluster -- [--transporter URL] [--channels redis://…] [--gateways N]
       [--gateway-ports P1,P2] [--workers N] [--worker-services a,b] [--metrics-port PORT|0]`;

interface NodeSpec {
	name: string;
	services: string[];
	env: Record<string, string>;
}

interface Options {
	transporter: string;
	/** Redis for the channels: worker nodes in other processes read the domain node's messages. */
	channels: string;
	/** REDIS_URL of every node: one rate-limit count per credential across the gateways. */
	redis: string;
	gateways: number;
	gatewayPorts: number[];
	workers: number;
	workerServices: string[];
	metricsPort: number;
}

function list(raw: string | undefined): string[] {
	return (raw ?? "")
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
}

function readOptions(): Options {
	const settings = config();
	const { values } = parseArgs({
		options: {
			transporter: { type: "string" },
			channels: { type: "string" },
			gateways: { type: "string", default: "2" },
			"gateway-ports": { type: "string" },
			workers: { type: "string", default: "2" },
			"worker-services": { type: "string" },
			"metrics-port": { type: "string" },
			help: { type: "boolean" },
		},
	});
	if (values.help) throw new Error(USAGE);
	const gateways = Number(values.gateways);
	const ports = list(values["gateway-ports"]).map(Number);
	const gatewayPorts = ports.length
		? ports
		: Array.from({ length: gateways }, (_, i) => settings.port + i);
	if (!Number.isInteger(gateways) || gateways < 1 || gatewayPorts.length !== gateways)
		throw new Error(`--gateways needs a count of 1 or more and one port each\n${USAGE}`);

	const workers = Number(values.workers);
	if (!Number.isInteger(workers) || workers < 0)
		throw new Error(`--workers needs a count of 0 or more\n${USAGE}`);
	const transporter = values.transporter ?? settings.transporter ?? DEFAULT_REDIS;

	return {
		transporter,
		channels:
			values.channels ?? settings.channelsUrl ?? redisOf(transporter, settings.redisUrl),
		redis: settings.redisUrl ?? redisOf(transporter, undefined),
		gateways,
		gatewayPorts,
		workers,
		workerServices: values["worker-services"]
			? list(values["worker-services"])
			: WORKER_SERVICES.filter((s) => availableServices().includes(s)),
		metricsPort: Number(values["metrics-port"] ?? settings.metricsPort),
	};
}

/** The channels' Redis when none is given: the transporter's when it is Redis, else REDIS_URL. */
function redisOf(transporter: string, redisUrl: string | undefined): string {
	if (/^rediss?:/.test(transporter)) return transporter;

	return redisUrl ?? DEFAULT_REDIS;
}

/** Who runs what: gateways the entry points, workers the consumers, the domain node the rest. */
export function topology(options: Options, available = availableServices()): NodeSpec[] {
	const gatewayServices = GATEWAY_SERVICES.filter((s) => available.includes(s));
	// With no worker nodes, the domain node runs the worker services itself.
	const onWorkers = options.workers > 0 ? options.workerServices : [];
	const domainServices = available.filter(
		(s) => !gatewayServices.includes(s) && !onWorkers.includes(s),
	);
	const nodes: NodeSpec[] = [{ name: "domain", services: domainServices, env: {} }];
	options.gatewayPorts.forEach((port, i) =>
		nodes.push({
			name: `gateway-${i + 1}`,
			services: gatewayServices,
			env: { PORT: String(port) },
		}),
	);
	if (onWorkers.length) {
		for (let i = 1; i <= options.workers; i++)
			nodes.push({ name: `worker-${i}`, services: options.workerServices, env: {} });
	}

	return nodes.map((node, i) => ({
		...node,
		env: {
			...node.env,
			METRICS_PORT: options.metricsPort === 0 ? "0" : String(options.metricsPort + i),
		},
	}));
}

class Supervisor {
	private readonly children = new Map<string, ChildProcess>();
	private stopping = false;

	constructor(
		private readonly options: Options,
		private readonly namespace: string,
	) {}

	start(node: NodeSpec): void {
		// tsx as a loader in the node's own process: a signal to the pid reaches the node itself.
		const child = spawn(process.execPath, ["--import", "tsx", "scripts/server.ts"], {
			cwd: ROOT,
			// Each node is configured like `npm start`: the
			// environment passes through, plus its part.
			env: {
				...process.env,
				...node.env,
				NODE_ID: `${this.namespace}-${node.name}`,
				SERVICES: node.services.join(","),
				TRANSPORTER: this.options.transporter,
				CHANNELS_URL: this.options.channels,
				REDIS_URL: this.options.redis,
				NAMESPACE: this.namespace,
			},
			stdio: ["ignore", "pipe", "pipe"],
		});
		this.children.set(node.name, child);
		for (const stream of [child.stdout, child.stderr]) {
			if (!stream) continue;
			readline
				.createInterface({ input: stream })
				.on("line", (line) => process.stdout.write(`[${node.name}] ${line}\n`));
		}
		child.once("exit", (code, signal) => {
			this.children.delete(node.name);
			if (this.stopping) return;
			process.stdout.write(
				`[cluster] ${node.name} exited (${signal ?? `code ${code}`}); starting it again\n`,
			);
			setTimeout(() => this.stopping || this.start(node), RESTART_DELAY_MS);
		});
	}

	/** SIGTERM to every node, then waits for all of them: each drains its own work first. */
	async stop(): Promise<void> {
		this.stopping = true;
		const exits = [...this.children.values()].map(
			(child) => new Promise((resolve) => child.once("exit", resolve)),
		);
		for (const child of this.children.values()) child.kill("SIGTERM");
		await Promise.all(exits);
	}
}

async function main(): Promise<void> {
	const options = readOptions();
	const namespace = config().namespace;
	const nodes = topology(options);
	const supervisor = new Supervisor(options, namespace);

	process.stdout.write(
		`[cluster] ${new URL(options.transporter).protocol}// namespace ${namespace}, channels ` +
			`on ${new URL(options.channels).host}, REDIS_URL on ${new URL(options.redis).host}\n`,
	);
	for (const node of nodes) {
		const port = node.env.PORT ? ` on port ${node.env.PORT}` : "";
		process.stdout.write(`[cluster] ${node.name}${port}: ${node.services.join(", ")}\n`);
	}
	if (!nodes.some((node) => node.name.startsWith("worker-")))
		process.stdout.write("[cluster] no worker nodes: the domain node runs their services\n");

	for (const node of nodes) supervisor.start(node);

	let stopping = false;
	const stop = () => {
		if (stopping) return;
		stopping = true;
		process.stdout.write("[cluster] stopping every node\n");
		supervisor.stop().then(() => process.exit(0));
	};
	process.on("SIGINT", stop);
	process.on("SIGTERM", stop);
}

main().catch((err: Error) => {
	console.error(err.message);
	process.exit(1);
});
