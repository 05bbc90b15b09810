/**
 * The one Redis connection of a gateway process for what all nodes must share: rate-limit
 * counters and idempotency keys. Only used when REDIS_URL is set; every key it holds starts
 * with the NAMESPACE, so several clusters (and parallel test runs) can share one Redis.
 */
import Redis from "ioredis";
import { config } from "../../models/config";
import { ApiError } from "../../models/errors";

let client: Redis | undefined;

/** The shared client, or undefined when REDIS_URL is not set (each process keeps its own state). */
export function sharedRedis(): Redis | undefined {
	const url = config().redisUrl;
	if (!url) return undefined;
	// A request waits for Redis rather than failing while it reconnects, but never forever.
	client ??= new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: true });

	return client;
}

/** `<namespace>:<part>:<part>…`, the form of every key this project writes. */
export function redisKey(...parts: string[]): string {
	return [config().namespace, ...parts].join(":");
}

export async function closeSharedRedis(): Promise<void> {
	if (!client) return;
	const closing = client;
	client = undefined;
	await closing.quit().catch(() => closing.disconnect());
}

/** Runs a Redis command; a Redis that is down or slow is the client's 503, not a 500. */
export async function withRedis<T>(op: () => Promise<T>): Promise<T> {
	try {
		return await op();
	} catch (err) {
		throw new ApiError(
			"SERVICE_UNAVAILABLE",
			`Shared state is unavailable right now (${(err as Error).name}); retry shortly`,
		);
	}
}
