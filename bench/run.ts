/**
 * `npm run bench`: the gateway on the embedded default (one process, NeDB, memory cacher, no
 * Redis), freshly bootstrapped and seeded, under 50 connections of autocannon; beside it, in the
 * same run, a bare `node:http` server returning the same JSON, so every figure is also a share
 * of what Node itself serves on this machine. Prints a table and writes bench/results/*.json.
 *
 * Options: `--seconds N` per scenario (default 8), `--connections N` (default 50).
 */
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { client, ROOT, tempDir } from "../test/helpers/gateway";
import { type ExternalEnv, runExternal } from "./lib/external";
import { type LoadOptions, measure } from "./lib/load";
import { residentMiB, type Server, startBaseline, startGateway } from "./lib/processes";
import { type Figure, judge, table, writeReport } from "./lib/report";
import { bootstrapOrg, importNorthwind, seedCustomers } from "./lib/seed";

const EXTERNAL_TIMEOUT_MS = 60_000;
const MEMORY_TARGET_MIB = 300;
const FANOUT_P50_TARGET_MS = 50;
const WEBHOOK_TARGET_PER_SECOND = 1000;

/** The GraphQL scenario: 20 orders with their customers, in the schema's connection shape. */
const GRAPHQL_QUERY =
	process.env.BENCH_GRAPHQL_QUERY ??
	"{ orders(pagination: { first: 20 }) { nodes { id status totalAmount customer { id name } } " +
		"} }";

function options(): { seconds: number; connections: number } {
	const { values } = parseArgs({
		options: {
			seconds: { type: "string", default: "8" },
			connections: { type: "string", default: "50" },
		},
	});

	return { seconds: Number(values.seconds), connections: Number(values.connections) };
}

/**
 * A scenario script's result judged against its target: fan-out by its median latency, webhooks
 * by deliveries per second (the store-driven backlog, the path every retry takes).
 */
function externalFigure(name: string, result: Record<string, unknown>): Figure {
	const latency = result.latency_ms as { p50: number; p99: number } | undefined;
	if (latency) {
		const target = { p50_ms: FANOUT_P50_TARGET_MS };

		return {
			name,
			target,
			p50_ms: latency.p50,
			p99_ms: latency.p99,
			extra: result,
			met: latency.p50 < FANOUT_P50_TARGET_MS,
		};
	}
	const rate = result.backlog_deliveries_per_second as number | undefined;
	if (rate !== undefined) {
		const target = { per_second: WEBHOOK_TARGET_PER_SECOND };

		return {
			name,
			target,
			requests_per_second: rate,
			extra: result,
			met: rate >= WEBHOOK_TARGET_PER_SECOND,
		};
	}

	return { name, extra: result };
}

/** Skips the GraphQL scenario, with the reason, when /graphql is absent or the query fails. */
async function graphqlProbe(url: string, key: string): Promise<string | undefined> {
	const res = await client(url, key).post("/graphql", { query: GRAPHQL_QUERY });
	if (res.status === 404) return "no /graphql endpoint on this branch yet";
	if (res.status !== 200 || res.body?.errors)
		return (
			`the query failed (${res.status}): ` +
			`${JSON.stringify(res.body?.errors?.[0]?.message ?? res.body)}`
		);

	return undefined;
}

async function main(): Promise<void> {
	const { seconds, connections } = options();
	const started = Date.now();
	let gatewayPid: number | undefined;
	const load = (over: Partial<LoadOptions> & { url: string }): LoadOptions => ({
		connections,
		seconds,
		warmupSeconds: 2,
		pid: gatewayPid,
		...over,
	});

	// 1. A fresh gateway on its own data, an organization, a key and customers to read.
	const dataDir = tempDir("mantis-bench-");
	const owner = bootstrapOrg(dataDir);
	const gateway: Server = await startGateway(dataDir, { WEBHOOK_ALLOW_PRIVATE: "true" });
	gatewayPid = gateway.pid;
	const notes: string[] = [];
	const figures: Figure[] = [];
	try {
		const key = owner.api_key;
		const headers = { authorization: `Bearer ${key}` };
		const org = `${gateway.url}/v1/organizations/${owner.organization_id}`;
		const ids = await seedCustomers(gateway.url, key, owner.organization_id);
		const northwind = await importNorthwind(gateway.url, key);
		notes.push(`Northwind: ${northwind.note}`);
		const oneCustomer = `${org}/customers/${ids[0]}`;
		const customerJson = await (await fetch(oneCustomer, { headers })).text();

		// 2. The yardstick, measured alone so it has the same CPU the gateway gets.
		const baselineServer = await startBaseline(customerJson);
		const baseline = await measure(load({ url: baselineServer.url, pid: baselineServer.pid }));
		await baselineServer.stop();
		figures.push({ name: "node:http baseline (same JSON)", ...baseline });

		// 3. The REST scenarios; writes come last so the reads see the seeded store.
		const noCache = { ...headers, "cache-control": "no-cache" };
		const rest: Array<[string, LoadOptions, Figure["target"]]> = [
			[
				"GET customer by id (cached)",
				load({ url: oneCustomer, headers }),
				{ ratio: 0.35, p99_ms: 25 },
			],
			[
				"GET customer by id (uncached)",
				load({ url: oneCustomer, headers: noCache }),
				{ ratio: 0.2 },
			],
			[
				"list 50 customers, filtered (uncached)",
				load({ url: `${org}/customers?segment=smb&limit=50`, headers: noCache }),
				{ ratio: 0.08 },
			],
			[
				"list 50 customers, filtered (cached)",
				load({ url: `${org}/customers?segment=smb&limit=50`, headers }),
				undefined,
			],
			[
				"POST a customer",
				load({
					url: `${org}/customers`,
					method: "POST",
					headers: { ...headers, "content-type": "application/json" },
					body: JSON.stringify({ name: "Bench customer", segment: "smb" }),
				}),
				{ ratio: 0.05 },
			],
		];
		for (const [name, opts, target] of rest) {
			figures.push(judge({ name, target, ...(await measure(opts)) }, baseline));
		}

		// 4. GraphQL, when this branch has it.
		const graphqlSkip = await graphqlProbe(gateway.url, key);
		const graphql: Figure = {
			name: "GraphQL: 20 orders with customers",
			target: { ratio: 0.04 },
		};
		if (graphqlSkip) figures.push({ ...graphql, skipped: graphqlSkip });
		else {
			const body = JSON.stringify({ query: GRAPHQL_QUERY });
			const opts = load({
				url: `${gateway.url}/graphql`,
				method: "POST",
				headers: { ...headers, "content-type": "application/json" },
				body,
			});
			figures.push(judge({ ...graphql, ...(await measure(opts)) }, baseline));
		}

		// 5. Scenarios other parts of the platform bring as their own scripts.
		const env: ExternalEnv = {
			BENCH_URL: gateway.url,
			BENCH_API_KEY: key,
			BENCH_ORGANIZATION_ID: owner.organization_id,
			BENCH_DATA_DIR: dataDir,
		};
		for (const [name, script] of [
			["socket.io fan-out to 1,000 sockets", "socket-fanout.ts"],
			["webhook deliveries per second", "webhooks.ts"],
		]) {
			const outcome = await runExternal(script, env, EXTERNAL_TIMEOUT_MS);
			figures.push(
				outcome.ok ? externalFigure(name, outcome.result) : { name, skipped: outcome.note },
			);
		}
	} finally {
		// 6. What the gateway holds after all of it.
		const rss = residentMiB(gateway.pid);
		figures.push({
			name: "gateway resident memory after the run",
			extra: { rss_mib: rss, target_mib: MEMORY_TARGET_MIB },
			met: rss === undefined ? undefined : rss < MEMORY_TARGET_MIB,
		});
		await gateway.stop();
	}

	// 7. The report.
	const report = {
		date: new Date().toISOString(),
		machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
		settings: { connections, seconds_per_scenario: seconds, mode: "embedded default" },
		duration_s: Math.round((Date.now() - started) / 1000),
		figures,
		notes,
	};
	const file = writeReport(path.join(ROOT, "bench", "results"), report);
	process.stdout.write(`${table(figures)}\n\n`);
	for (const f of figures.filter((f) => f.extra))
		process.stdout.write(`${f.name}: ${JSON.stringify(f.extra)}\n`);
	for (const note of notes) process.stdout.write(`note: ${note}\n`);
	process.stdout.write(`\nreport: ${path.relative(ROOT, file)} (${report.duration_s} s)\n`);
}

main().catch((err: Error) => {
	process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
	process.exit(1);
});
