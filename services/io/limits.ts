/**
 * Limits of the socket service: open connections per credential, messages per second per
 * socket, and the hourly plan quota that socket calls share with REST and GraphQL.
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { Auth } from "../../models/context";
import { ApiError } from "../../models/errors";
import { consume, rateLimitedError } from "../api/rate-limit";

/** Largest message a socket may send (contract: bodies over 1 MB are refused). */
export const MAX_MESSAGE_BYTES = 1_000_000;

/** A socket that keeps sending this many times its per-second allowance is cut off. */
const FLOOD_FACTOR = 5;

/** What the connection limit counts: one API key, one session, or else one actor. */
export function credentialKey(auth: Auth): string {
	if (auth.api_key_id) return `api_key:${auth.api_key_id}`;
	if (auth.session_id) return `session:${auth.session_id}`;

	return `${auth.actor.type}:${auth.actor.id}`;
}

/**
 * Open connections per credential on this node. Counted in memory, so the limit holds per
 * gateway node: a count shared in Redis would outlive a node that crashed holding sockets.
 */
export class ConnectionCounter {
	private readonly counts = new Map<string, number>();

	constructor(private readonly max: number) {}

	/** Takes a slot for `key`, or throws RATE_LIMITED; the returned function gives it back once. */
	acquire(key: string): () => void {
		const count = this.counts.get(key) ?? 0;
		if (count >= this.max) {
			throw new ApiError(
				"RATE_LIMITED",
				`At most ${this.max} socket connections per credential`,
				{
					details: [
						{ field: "connections", message: `at most ${this.max}`, value: count },
					],
				},
			);
		}
		this.counts.set(key, count + 1);
		let released = false;

		return () => {
			if (released) return;
			released = true;
			const left = (this.counts.get(key) ?? 1) - 1;
			if (left > 0) this.counts.set(key, left);
			else this.counts.delete(key);
		};
	}
}

export type MessageVerdict =
	{ allowed: true } | { allowed: false; error: ApiError; flood: boolean };

/** Messages per second per socket, in memory (a socket lives on one node). */
export class MessageLimiter {
	private readonly limiter: RateLimiterMemory;

	constructor(private readonly perSecond: number) {
		this.limiter = new RateLimiterMemory({ points: perSecond, duration: 1 });
	}

	async check(socketId: string): Promise<MessageVerdict> {
		try {
			await this.limiter.consume(socketId);

			return { allowed: true };
		} catch (rejection) {
			// The memory store never fails; anything but a verdict is a bug, and it fails closed.
			const res = rejection instanceof RateLimiterRes ? rejection : undefined;
			const retryAfter = Math.max(1, Math.ceil((res?.msBeforeNext ?? 1000) / 1000));
			const error = new ApiError(
				"RATE_LIMITED",
				`At most ${this.perSecond} messages per second per socket`,
				{
					details: [
						{
							field: "retry_after",
							message: "seconds before retrying",
							value: retryAfter,
						},
					],
				},
			);
			const flood = (res?.consumedPoints ?? 0) > this.perSecond * FLOOD_FACTOR;

			return { allowed: false, error, flood };
		}
	}
}

/**
 * The hourly plan quota a socket `call` consumes: the same sliding window as REST and GraphQL
 * (contract: rate limits), one unit per call. Throws RATE_LIMITED when spent.
 */
export async function checkCallQuota(auth: Auth): Promise<void> {
	const state = await consume(auth);
	if (state.retryAfterSeconds !== undefined) throw rateLimitedError(state);
}
