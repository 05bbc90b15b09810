/**
 * Rate limits of every entry point (contract: "Rate limits"): a plan's quota per hour, or an API
 * key's own `rate_limit_per_hour`, for each API key or user, over a sliding window shared by all
 * nodes through Redis when REDIS_URL is set (else kept in this process). Requests without a
 * valid credential (sign-in, refused credentials, unknown routes) count against the client's
 * address under their own, smaller quota.
 *
 * REST calls `limitRequest` from the gateway's guard; GraphQL and socket.io call
 * `consume(auth, cost)` and answer with `rateLimitHeaders` / `rateLimitedError` their own way.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { config } from "../../models/config";
import type { Auth } from "../../models/context";
import { ApiError } from "../../models/errors";
import { PLAN_QUOTAS } from "../../models/identity";
import { redisKey, sharedRedis, withRedis } from "./redis";
import {
	type CounterStore,
	MemoryCounterStore,
	RedisCounterStore,
	type WindowCounts,
} from "./sliding-window";

export const WINDOW_MS = 60 * 60 * 1000;
/** Name of the policy in the draft `RateLimit-Policy` / `RateLimit` fields. */
const POLICY = '"hourly"';

export interface RateLimitState {
	limit: number;
	remaining: number;
	/** Seconds until more units free up: the end of the current window, or Retry-After. */
	resetSeconds: number;
	/** Set when the request was refused. */
	retryAfterSeconds?: number;
}

let store: CounterStore | undefined;

function counters(): CounterStore {
	if (store) return store;
	const redis = sharedRedis();
	store = redis
		? new RedisCounterStore(redis, redisKey("rate-limit"), WINDOW_MS)
		: new MemoryCounterStore(WINDOW_MS);

	return store;
}

/** Whose quota a call uses: the API key's own, else the user's within the organization. */
export function subjectOf(auth: Auth): string {
	if (auth.api_key_id) return `key:${auth.api_key_id}`;
	if (auth.user_id) return `user:${auth.organization_id}:${auth.user_id}`;

	return `${auth.actor.type}:${auth.actor.id}`;
}

/** Takes `cost` units of the caller's hourly quota (refused calls take none). */
export function consume(auth: Auth, cost = 1): Promise<RateLimitState> {
	// tokens.verify and api-keys.authenticate fill the
	// quota; a caller without one gets the smallest plan's.
	return take(subjectOf(auth), auth.rate_limit_per_hour ?? PLAN_QUOTAS.free, cost);
}

/** Takes units of the quota of a client address without a valid credential. */
export function consumeAddress(address: string, cost = 1): Promise<RateLimitState> {
	return take(`address:${address}`, config().anonymousRateLimitPerHour, cost);
}

/**
 * Takes units of any named quota shared by all nodes, e.g. failed sign-ins per account
 * (`consumeSubject("login:" + email, 10)`); the same sliding window and the same state.
 */
export function consumeSubject(subject: string, limit: number, cost = 1): Promise<RateLimitState> {
	return take(subject, limit, cost);
}

/** Forgets a subject's counts (`subjectOf`, or `key:<api key id>`). */
export function resetLimit(subject: string): Promise<void> {
	return counters().reset(subject);
}

async function take(subject: string, limit: number, cost: number): Promise<RateLimitState> {
	// A route dearer than a whole quota still runs, by spending all of it.
	const units = Math.min(Math.max(1, cost), limit);
	// Without the shared counters no node can tell how much is left: refused, retryably (503).
	const counts = await withRedis(() => counters().take(subject, limit, units));

	return stateOf(limit, units, counts);
}

/** Headers, remaining units and the wait, from the window's counts. */
export function stateOf(limit: number, cost: number, counts: WindowCounts): RateLimitState {
	const { current, previous, elapsedMs } = counts;
	const used = previous * (1 - elapsedMs / WINDOW_MS) + current;
	const remaining = Math.max(0, Math.floor(limit - used));
	if (counts.allowed)
		return { limit, remaining, resetSeconds: Math.ceil((WINDOW_MS - elapsedMs) / 1000) };
	const waitMs =
		current + cost <= limit
			? // the previous window's share must fade until the units fit
				WINDOW_MS * (1 - (limit - current - cost) / previous) - elapsedMs
			: // this window must end, then fade in its turn as the previous one
				WINDOW_MS - elapsedMs + Math.max(0, WINDOW_MS * (1 - (limit - cost) / current));
	const retry = Math.max(1, Math.ceil(waitMs / 1000));

	return { limit, remaining: 0, resetSeconds: retry, retryAfterSeconds: retry };
}

/** `X-RateLimit-*` (Reset in Unix seconds) and draft-ietf-httpapi-ratelimit-headers fields. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
	return {
		"X-RateLimit-Limit": String(state.limit),
		"X-RateLimit-Remaining": String(state.remaining),
		"X-RateLimit-Reset": String(Math.ceil(Date.now() / 1000) + state.resetSeconds),
		"RateLimit-Policy": `${POLICY};q=${state.limit};w=${WINDOW_MS / 1000}`,
		RateLimit: `${POLICY};r=${state.remaining};t=${state.resetSeconds}`,
	};
}

export function rateLimitedError(state: RateLimitState): ApiError {
	const seconds = state.retryAfterSeconds ?? state.resetSeconds;

	return new ApiError(
		"RATE_LIMITED",
		`Rate limit of ${state.limit} requests per hour exceeded; retry in ${seconds} s`,
		{
			details: [
				{
					field: "retry_after",
					message: "seconds to wait before retrying",
					value: seconds,
				},
			],
			headers: { "Retry-After": String(seconds) },
		},
	);
}

/**
 * The client's address. `X-Forwarded-For` is anyone's to write, so it is read only behind a
 * proxy the operator trusts (TRUST_PROXY), and then only its last entry: the one that proxy
 * appended itself.
 */
export function clientAddress(req: IncomingMessage): string {
	const peer = req.socket.remoteAddress ?? "unknown";
	if (!config().trustProxy) return peer;
	const forwarded = req.headers["x-forwarded-for"];
	const hops = (Array.isArray(forwarded) ? forwarded.join(",") : (forwarded ?? ""))
		.split(",")
		.map((hop) => hop.trim())
		.filter(Boolean);

	return hops[hops.length - 1] ?? peer;
}

/**
 * Counts one HTTP request against the caller's quota (or, without `auth`, the address's) and
 * puts the headers on the response; throws RATE_LIMITED when the quota is spent.
 */
export async function limitRequest(
	req: IncomingMessage,
	res: ServerResponse,
	auth: Auth | undefined,
	cost = 1,
): Promise<void> {
	const state = auth ? await consume(auth, cost) : await consumeAddress(clientAddress(req), cost);
	const headers = rateLimitHeaders(state);
	for (const name in headers) res.setHeader(name, headers[name]);
	if (state.retryAfterSeconds !== undefined) throw rateLimitedError(state);
}

/** Whether a response already carries the rate-limit fields. */
export function hasRateLimitHeaders(res: ServerResponse): boolean {
	return res.hasHeader("X-RateLimit-Limit");
}
