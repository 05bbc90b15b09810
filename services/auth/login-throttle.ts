/**
 * Throttling of failed sign-ins, per account and per client address (OWASP authentication
 * cheat sheet): after too many failures the next attempts are refused with 429 before the
 * password is even checked, so guessing cannot go on. Counters live in memory, or in Redis when
 * REDIS_URL is set (shared by every node), under keys prefixed with the NAMESPACE. Only
 * failures count; a success clears the account's counter.
 */
import crypto from "node:crypto";
import Redis from "ioredis";
import {
	type RateLimiterAbstract,
	RateLimiterMemory,
	RateLimiterRedis,
	type RateLimiterRes,
} from "rate-limiter-flexible";
import { ApiError } from "../../models/errors";

/** Failures allowed per account in the window (a person mistyping does not reach it). */
export const ACCOUNT_FAILURES = 10;
export const ACCOUNT_WINDOW_SECONDS = 15 * 60;
/** Failures allowed per address: higher, since offices and NATs share addresses. */
export const ADDRESS_FAILURES = 100;
export const ADDRESS_WINDOW_SECONDS = 60 * 60;

export interface LoginThrottleOptions {
	namespace: string;
	redisUrl?: string;
}

export interface LoginThrottle {
	/** Refuses (429) while the account or the address is over its limit. */
	check(email: string, address: string): Promise<void>;
	failed(email: string, address: string): Promise<void>;
	succeeded(email: string): Promise<void>;
	close(): Promise<void>;
}

/** Emails are hashed in keys: the limiter's store need not hold personal data. */
function accountKey(email: string): string {
	return crypto.createHash("sha256").update(email.trim().toLowerCase()).digest("base64url");
}

function limiter(
	options: LoginThrottleOptions,
	redis: Redis | undefined,
	name: string,
	points: number,
	duration: number,
): RateLimiterAbstract {
	const keyPrefix = `${options.namespace}:login-failures:${name}`;
	const memory = new RateLimiterMemory({ keyPrefix, points, duration });
	if (!redis) return memory;

	// If Redis is briefly unreachable the node keeps throttling on its own memory.
	return new RateLimiterRedis({
		storeClient: redis,
		keyPrefix,
		points,
		duration,
		insuranceLimiter: memory,
	});
}

function refusal(res: RateLimiterRes): ApiError {
	const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));

	// The details the request limiter gives (api/rate-limit.ts): `retry_after` in seconds.
	return new ApiError(
		"RATE_LIMITED",
		`Too many failed sign-ins for this account; try again in ${retryAfter} s`,
		{
			details: [
				{ field: "email", message: "too many failed sign-ins", value: undefined },
				{
					field: "retry_after",
					message: "seconds to wait before retrying",
					value: retryAfter,
				},
			],
			headers: { "Retry-After": String(retryAfter) },
		},
	);
}

/** Consuming a point past the limit rejects with the limiter's state; that is expected here. */
async function count(limit: RateLimiterAbstract, key: string): Promise<void> {
	await limit.consume(key).catch((rejection: unknown) => {
		if (rejection instanceof Error) throw rejection;
	});
}

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
	const redis = options.redisUrl
		? new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
		: undefined;
	redis?.on("error", () => {
		// ioredis reconnects by itself; the insurance limiter covers the gap.
	});
	const byAccount = limiter(options, redis, "account", ACCOUNT_FAILURES, ACCOUNT_WINDOW_SECONDS);
	const byAddress = limiter(options, redis, "address", ADDRESS_FAILURES, ADDRESS_WINDOW_SECONDS);

	return {
		async check(email, address) {
			const [account, from] = await Promise.all([
				byAccount.get(accountKey(email)),
				byAddress.get(address),
			]);
			if (account && account.consumedPoints >= ACCOUNT_FAILURES) throw refusal(account);
			if (from && from.consumedPoints >= ADDRESS_FAILURES) throw refusal(from);
		},

		async failed(email, address) {
			await Promise.all([count(byAccount, accountKey(email)), count(byAddress, address)]);
		},

		async succeeded(email) {
			await byAccount.delete(accountKey(email));
		},

		async close() {
			redis?.disconnect();
		},
	};
}
