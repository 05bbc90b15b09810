/**
 * Webhook delivery throughput: deliveries per second from one gateway node (NeDB store,
 * in-process channels, durable retry state) to a local receiver. Standalone:
 *
 *   npx tsx bench/webhooks.ts [--events 5000]
 *
 * Two figures:
 * - backlog: events recorded while no worker runs pile up as delivery rows in the store; a node
 *   with the worker then starts and drains them (the store-driven path every retry takes);
 * - live: events created over REST while the same node delivers them (fan-out included).
 * Prints one JSON line (for the benchmark suite's report), then a short table.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { availableServices } from "../scripts/node";
import { bootstrap, client, type Client, startNode, tempDir } from "../test/helpers/gateway";

const BULK = 250;

interface Counter {
	url: string;
	count: number;
	bad: number;
	first: number;
	last: number;
	secret: string;
	close(): Promise<void>;
}

/** Answers 204 at once; checks every X-Mantis-Signature over the raw bytes. */
async function receiver(): Promise<Counter> {
	const counter: Counter = {
		url: "",
		count: 0,
		bad: 0,
		first: 0,
		last: 0,
		secret: "",
		close: () => new Promise((resolve) => server.close(() => resolve())),
	};
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const mac = crypto.createHmac("sha256", counter.secret).update(Buffer.concat(chunks));
			if (req.headers["x-mantis-signature"] !== `sha256=${mac.digest("hex")}`) counter.bad++;
			const now = performance.now();
			if (counter.count === 0) counter.first = now;
			counter.count++;
			counter.last = now;
			res.writeHead(204).end();
		});
	});
	server.keepAliveTimeout = 30_000;
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	counter.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

	return counter;
}

/** CPU time (user + system) a process has used, in ms, from Linux's /proc; undefined elsewhere. */
function cpuMs(pid: number): number | undefined {
	try {
		const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
		// utime and stime are fields 14 and 15 of stat(5),
		// in clock ticks (100 per second on Linux).
		return (Number(fields[11]) + Number(fields[12])) * 10;
	} catch {
		return undefined;
	}
}

/** The server's pid, from the lock file every NeDB data service writes into DATA_DIR. */
function serverPid(dataDir: string): number {
	return Number(fs.readFileSync(path.join(dataDir, "webhook-deliveries.lock"), "utf8"));
}

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number) {
	const deadline = Date.now() + timeoutMs;
	while (!(await done())) {
		if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

async function createCustomers(api: Client, base: string, count: number, tag: string) {
	for (let done = 0; done < count; done += BULK) {
		const items = Array.from({ length: Math.min(BULK, count - done) }, (_, i) => ({
			name: `${tag} ${done + i} — Zoë ₹`,
			segment: "smb",
		}));
		const res = await api.post(`${base}/customers/bulk`, { items });
		if (res.body?.data?.failed !== 0)
			throw new Error(`bulk create failed: ${res.status} ${JSON.stringify(res.body?.error)}`);
	}
}

async function succeededCount(api: Client, base: string, endpointId: string): Promise<number> {
	const res = await api.get(`${base}/webhooks/${endpointId}/deliveries?status=succeeded&limit=1`);

	return res.body.pagination.total;
}

async function main(): Promise<void> {
	// The suite's runner names its gateway (`--url`, `--api-key`); this scenario starts nodes of
	// its own instead, since it stops and starts the worker, so those two are accepted and unused.
	const { values } = parseArgs({
		options: {
			events: { type: "string", default: "5000" },
			url: { type: "string" },
			"api-key": { type: "string" },
		},
	});
	const events = Number(values.events);
	const dataDir = tempDir("mantis-bench-");
	const owner = bootstrap({ DATA_DIR: dataDir }, "Bench Org");
	const base = `/v1/organizations/${owner.organization_id}`;
	const rx = await receiver();
	const env = { DATA_DIR: dataDir, WEBHOOK_ALLOW_PRIVATE: "true" };

	// Backlog: rows are stored while no worker runs, then one node drains them.
	const withoutWorker = availableServices().filter((s) => s !== "webhook-worker");
	let node = await startNode({ ...env, SERVICES: withoutWorker.join(",") });
	let api = client(node.url, owner.api_key);
	const endpoint = await api.post(`${base}/webhooks`, {
		url: rx.url,
		events: ["customer.created"],
	});
	rx.secret = endpoint.body.data.secret;
	const endpointId = endpoint.body.data.id;
	const recordStart = performance.now();
	await createCustomers(api, base, events, "Backlog");
	const recordRate = events / ((performance.now() - recordStart) / 1000);
	await until(
		"the backlog rows",
		async () =>
			(await api.get(`${base}/webhooks/${endpointId}/deliveries?limit=1`)).body.pagination
				.total >= events,
		120_000,
	);
	process.stderr.write(`bench: ${events} backlog rows stored\n`);
	await node.stop();
	node = await startNode({
		...env,
		...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
	});
	api = client(node.url, owner.api_key);
	const pid = serverPid(dataDir);
	const cpuBefore = cpuMs(pid);
	await until("the backlog deliveries", () => rx.count >= events, 600_000);
	const cpuAfter = cpuMs(pid);
	const backlogRate = events / ((rx.last - rx.first) / 1000);
	const cpuPerDelivery =
		cpuBefore === undefined || cpuAfter === undefined ? null : (cpuAfter - cpuBefore) / events;
	process.stderr.write(`bench: backlog drained at ${Math.round(backlogRate)}/s\n`);

	// Live: events created over REST while the node delivers them.
	const before = rx.count;
	const started = performance.now();
	await createCustomers(api, base, events, "Live");
	await until("the live deliveries", () => rx.count >= before + events, 600_000);
	const liveRate = events / ((rx.last - started) / 1000);
	await until(
		"every delivery recorded as succeeded",
		async () => (await succeededCount(api, base, endpointId)) >= 2 * events,
		60_000,
	);

	await node.stop();
	await rx.close();
	const report = {
		benchmark: "webhooks",
		events,
		backlog_deliveries_per_second: Math.round(backlogRate),
		// What one core of the server spends per delivery:
		// 1000 / this is the rate on a core of its own.
		backlog_server_cpu_ms_per_delivery:
			cpuPerDelivery === null ? null : Number(cpuPerDelivery.toFixed(3)),
		live_deliveries_per_second: Math.round(liveRate),
		// How fast REST bulk creates record the events alone: the ceiling of the live figure.
		events_recorded_per_second: Math.round(recordRate),
		bad_signatures: rx.bad,
		duplicates: rx.count - 2 * events,
	};
	process.stdout.write(`${JSON.stringify(report)}\n`);
	process.stdout.write(
		`webhooks  backlog ${report.backlog_deliveries_per_second}/s (server CPU ` +
			`${report.backlog_server_cpu_ms_per_delivery} ms each)  live ` +
			`${report.live_deliveries_per_second}/s (events recorded at ` +
			`${report.events_recorded_per_second}/s)  ${events} events each; ${rx.bad} bad ` +
			`signatures, ${report.duplicates} duplicates\n`,
	);
}

main().catch((err: Error) => {
	process.stderr.write(`${err.message}\n`);
	process.exit(1);
});
