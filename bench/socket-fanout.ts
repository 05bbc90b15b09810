/**
 * Benchmark: fan-out latency of one event to many connected sockets (default 1,000).
 *
 *   npx tsx bench/socket-fanout.ts [--sockets 1000] [--events 20] [--url URL --api-key KEY]
 *
 * Without `--url` it starts its own gateway (one process, NeDB in a temporary directory) and
 * bootstraps an organization. With `--url` it targets a running gateway; `--api-key` must then
 * be an owner key of an organization there. Either way it mints one API key per
 * `SOCKETS_PER_KEY` sockets, so no key exceeds the connections-per-credential limit.
 *
 * One event at a time is recorded (a customer created over REST) and received by every socket.
 * A delivery's latency is its receipt time minus the event's `created_at` (when the log
 * recorded it): the broadcast and the socket writes, not the REST request. Client and server
 * share the machine's cores, so the figures are an upper bound.
 */
import fs from "node:fs";
import path from "node:path";
import { bootstrap, client, type GatewayNode, startNode, tempDir } from "../test/helpers/gateway";
import { connected, createKey, request, type Socket, socketTo } from "../test/helpers/sockets";

const SOCKETS_PER_KEY = 25;
const CONNECT_BATCH = 50;
const DELIVERY_TIMEOUT_MS = 30_000;

export interface FanoutOptions {
	sockets: number;
	events: number;
	url?: string;
	apiKey?: string;
}

export interface FanoutReport {
	name: "socket-fanout";
	sockets: number;
	events: number;
	/** Milliseconds from the event's recording to its receipt, over every delivery. */
	latency_ms: { p50: number; p99: number; max: number };
	/** Milliseconds between the first and the last socket receiving one event (median). */
	spread_ms_p50: number;
	connect_seconds: number;
}

function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	const rank = Math.ceil((p / 100) * sorted.length) - 1;

	return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

async function target(
	options: FanoutOptions,
): Promise<{ url: string; apiKey: string; node?: GatewayNode }> {
	if (options.url && options.apiKey) return { url: options.url, apiKey: options.apiKey };
	const dataDir = tempDir("mantis-bench-");
	const owner = bootstrap({ DATA_DIR: dataDir }, "Bench Org");
	const node = await startNode({ DATA_DIR: dataDir });

	return { url: node.url, apiKey: owner.api_key, node };
}

async function connectAll(url: string, keys: string[], count: number): Promise<Socket[]> {
	const sockets: Socket[] = [];
	for (let start = 0; start < count; start += CONNECT_BATCH) {
		const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - start) }, (_, i) =>
			socketTo(url, { token: keys[Math.floor((start + i) / SOCKETS_PER_KEY)] }),
		);
		await Promise.all(batch.map((s) => connected(s, 30_000)));
		await Promise.all(
			batch.map((s) => request(s, "subscribe", { types: ["customer.created"] })),
		);
		sockets.push(...batch);
	}

	return sockets;
}

/** Records one event and resolves with each socket's latency for it once all have it. */
async function oneEvent(sockets: Socket[], create: () => Promise<void>): Promise<number[]> {
	const latencies: number[] = [];
	const all = new Promise<void>((resolve, reject) => {
		const timer = setTimeout(
			() => reject(new Error("not every socket got the event")),
			DELIVERY_TIMEOUT_MS,
		);
		for (const socket of sockets) {
			socket.once("customer.created", (event: { created_at: string }) => {
				latencies.push(Date.now() - Date.parse(event.created_at));
				if (latencies.length < sockets.length) return;
				clearTimeout(timer);
				resolve();
			});
		}
	});
	await create();
	await all;

	return latencies;
}

export async function socketFanout(options: FanoutOptions): Promise<FanoutReport> {
	const { url, apiKey, node } = await target(options);
	let sockets: Socket[] = [];
	try {
		const api = client(url, apiKey);
		const orgId = (await api.get("/v1/auth/api-keys?limit=1")).body.data[0]
			.organization_id as string;
		const keyCount = Math.ceil(options.sockets / SOCKETS_PER_KEY);
		const keys = await Promise.all(
			Array.from({ length: keyCount }, () => createKey(api, { name: "bench" })),
		);
		const connectStart = Date.now();
		sockets = await connectAll(
			url,
			keys.map((k) => k.key),
			options.sockets,
		);
		const connectSeconds = (Date.now() - connectStart) / 1000;
		const create = async (): Promise<void> => {
			const res = await api.post(`/v1/organizations/${orgId}/customers`, {
				name: "Bench",
				segment: "smb",
			});
			if (res.status !== 201) throw new Error(`create failed with ${res.status}`);
		};

		await oneEvent(sockets, create); // warm-up
		const all: number[] = [];
		const spreads: number[] = [];
		for (let i = 0; i < options.events; i++) {
			const latencies = (await oneEvent(sockets, create)).sort((a, b) => a - b);
			all.push(...latencies);
			spreads.push(latencies[latencies.length - 1] - latencies[0]);
		}
		all.sort((a, b) => a - b);
		spreads.sort((a, b) => a - b);

		return {
			name: "socket-fanout",
			sockets: options.sockets,
			events: options.events,
			latency_ms: {
				p50: percentile(all, 50),
				p99: percentile(all, 99),
				max: all[all.length - 1],
			},
			spread_ms_p50: percentile(spreads, 50),
			connect_seconds: connectSeconds,
		};
	} finally {
		sockets.forEach((s) => s.close());
		await node?.stop();
	}
}

function flag(name: string): string | undefined {
	const i = process.argv.indexOf(`--${name}`);

	return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
	const report = await socketFanout({
		sockets: Number(flag("sockets") ?? 1000),
		events: Number(flag("events") ?? 20),
		url: flag("url"),
		apiKey: flag("api-key"),
	});
	const dir = path.join(__dirname, "results");
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, "socket-fanout.json"), `${JSON.stringify(report, null, 2)}\n`);
	console.table({
		[`${report.sockets} sockets × ${report.events} events`]: {
			"p50 ms": report.latency_ms.p50,
			"p99 ms": report.latency_ms.p99,
			"max ms": report.latency_ms.max,
			"spread p50 ms": report.spread_ms_p50,
			"connect s": report.connect_seconds,
		},
	});
}

if (require.main === module) {
	main().catch((err: Error) => {
		console.error(`socket-fanout failed: ${err.message}`);
		process.exit(1);
	});
}
