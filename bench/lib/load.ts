/**
 * One load scenario through autocannon: a fixed number of connections for a fixed time after
 * a short warm-up (JIT, caches, connection set-up are not what we measure).
 */
import autocannon from "autocannon";

export interface LoadOptions {
	url: string;
	method?: "GET" | "POST";
	headers?: Record<string, string>;
	body?: string;
	connections: number;
	seconds: number;
	warmupSeconds: number;
}

export interface LoadResult {
	requests_per_second: number;
	p50_ms: number;
	p99_ms: number;
	requests: number;
	non_2xx: number;
	errors: number;
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
	const result = await fire(opts, opts.seconds);

	return {
		requests_per_second: Math.round(result.requests.average),
		p50_ms: result.latency.p50,
		p99_ms: result.latency.p99,
		requests: result.requests.total,
		non_2xx: result.non2xx,
		errors: result.errors,
	};
}
