/**
 * One load scenario through autocannon: a fixed number of connections for a fixed time after
 * a short warm-up (JIT, caches, connection set-up are not what we measure).
 */
import autocannon from "autocannon";
import { cpuSeconds } from "./processes";

export interface LoadOptions {
	url: string;
	method?: "GET" | "POST";
	headers?: Record<string, string>;
	body?: string;
	connections: number;
	seconds: number;
	warmupSeconds: number;
	/** The server's pid, to measure the CPU time it spends per request. */
	pid?: number;
}

export interface LoadResult {
	requests_per_second: number;
	p50_ms: number;
	p99_ms: number;
	requests: number;
	non_2xx: number;
	errors: number;
	/**
	 * Server CPU time per answered request. On a machine shared with other work this is the
	 * steadier figure: contention lowers requests per second, not the CPU one request costs.
	 */
	cpu_us_per_request?: number;
}

function fire(opts: LoadOptions, seconds: number): Promise<autocannon.Result> {
	return autocannon({
		url: opts.url,
		method: opts.method ?? "GET",
		headers: opts.headers,
		body: opts.body,
		connections: opts.connections,
		duration: seconds,
	});
}

export async function measure(opts: LoadOptions): Promise<LoadResult> {
	if (opts.warmupSeconds > 0) await fire(opts, opts.warmupSeconds);
	const cpuBefore = opts.pid ? cpuSeconds(opts.pid) : undefined;
	const result = await fire(opts, opts.seconds);
	const cpuAfter = opts.pid ? cpuSeconds(opts.pid) : undefined;
	const cpu =
		cpuBefore !== undefined && cpuAfter !== undefined && result.requests.total > 0
			? Math.round(((cpuAfter - cpuBefore) * 1e6) / result.requests.total)
			: undefined;

	return {
		cpu_us_per_request: cpu,
		requests_per_second: Math.round(result.requests.average),
		p50_ms: result.latency.p50,
		p99_ms: result.latency.p99,
		requests: result.requests.total,
		non_2xx: result.non2xx,
		errors: result.errors,
	};
}
