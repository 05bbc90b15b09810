/**
 * A sliding-window rate limit counter, in Redis (shared by every node) or in this process.
 *
 * The algorithm is the sliding window counter Cloudflare describes in "How we built rate
 * limiting capable of scaling to millions of domains" (2017): time is cut into windows of the
 * policy's length, each with one counter, and the count "in the last hour" is estimated as
 * `previous × (share of the previous window still inside the last hour) + current`. It needs two
 * integers per caller whatever the quota (a sliding log would keep 100,000 timestamps for an
 * enterprise key) and, unlike a fixed window, it never lets a burst at the end of one window and
 * another at the start of the next through at twice the quota.
 *
 * Why not a library: rate-limiter-flexible (the well-kept choice, also for our Redis and memory
 * pair) only offers fixed windows; rolling-rate-limiter is a sliding log that also counts refused
 * attempts and cannot weigh a request; @upstash/ratelimit has this very algorithm but only over
 * Upstash's HTTP client and with no in-process store. The algorithm is a dozen lines below.
 */
import type Redis from "ioredis";

export interface WindowCounts {
	/** Whether the units were taken (false: over the limit, nothing was counted). */
	allowed: boolean;
	/** Units counted in the current window, after this request when allowed. */
	current: number;
	previous: number;
	/** Milliseconds since the current window began. */
	elapsedMs: number;
}

export interface CounterStore {
	/** Takes `cost` units for `subject` unless that would exceed `limit` in the sliding window. */
	take(subject: string, limit: number, cost: number): Promise<WindowCounts>;
	/** Forgets everything counted for `subject` (operator `reset-limit`). */
	reset(subject: string): Promise<void>;
}

/**
 * Atomic in Redis: the read, the check and the increment run as one script, so two nodes can
 * never both take the last unit (no read-then-write race). Refused requests are not counted.
 * KEYS: current window's counter, previous window's. ARGV: limit, cost, weight of the previous
 * window, expiry in ms (two windows: a counter is read while it is current and while previous).
 */
const TAKE_SCRIPT = `
local current = tonumber(redis.call("GET", KEYS[1]) or "0")
local previous = tonumber(redis.call("GET", KEYS[2]) or "0")
local cost = tonumber(ARGV[2])
if previous * tonumber(ARGV[3]) + current + cost > tonumber(ARGV[1]) then
	return {0, current, previous}
end
current = redis.call("INCRBY", KEYS[1], cost)
redis.call("PEXPIRE", KEYS[1], ARGV[4])
return {1, current, previous}
`;

type TakeCommand = (
	current: string,
	previous: string,
	limit: number,
	cost: number,
	weight: string,
	ttlMs: number,
) => Promise<[number, number, number]>;

function windowOf(now: number, windowMs: number): { index: number; elapsedMs: number } {
	const index = Math.floor(now / windowMs);

	return { index, elapsedMs: now - index * windowMs };
}

export class RedisCounterStore implements CounterStore {
	constructor(
		private readonly redis: Redis,
		private readonly prefix: string,
		private readonly windowMs: number,
	) {
		// ioredis sends EVALSHA and falls back to EVAL once after a Redis restart (NOSCRIPT).
		if (!("slidingWindowTake" in redis))
			redis.defineCommand("slidingWindowTake", { numberOfKeys: 2, lua: TAKE_SCRIPT });
	}

	async take(subject: string, limit: number, cost: number): Promise<WindowCounts> {
		const { index, elapsedMs } = windowOf(Date.now(), this.windowMs);
		const weight = 1 - elapsedMs / this.windowMs;
		const take = (this.redis as unknown as { slidingWindowTake: TakeCommand })
			.slidingWindowTake;
		const [allowed, current, previous] = await take.call(
			this.redis,
			this.key(subject, index),
			this.key(subject, index - 1),
			limit,
			cost,
			weight.toFixed(6),
			this.windowMs * 2,
		);

		return { allowed: allowed === 1, current, previous, elapsedMs };
	}

	async reset(subject: string): Promise<void> {
		const { index } = windowOf(Date.now(), this.windowMs);
		await this.redis.del(this.key(subject, index), this.key(subject, index - 1));
	}

	private key(subject: string, index: number): string {
		return `${this.prefix}:${subject}:${index}`;
	}
}

interface Slot {
	index: number;
	current: number;
	previous: number;
}

/** This process's counters: the same algorithm, for the embedded default without Redis. */
export class MemoryCounterStore implements CounterStore {
	private readonly slots = new Map<string, Slot>();
	private readonly sweeper: NodeJS.Timeout;

	constructor(private readonly windowMs: number) {
		this.sweeper = setInterval(() => this.sweep(), Math.min(windowMs, 10 * 60 * 1000));
		this.sweeper.unref();
	}

	async take(subject: string, limit: number, cost: number): Promise<WindowCounts> {
		const { index, elapsedMs } = windowOf(Date.now(), this.windowMs);
		const slot = this.slotOf(subject, index);
		const weight = 1 - elapsedMs / this.windowMs;
		if (slot.previous * weight + slot.current + cost > limit)
			return { allowed: false, current: slot.current, previous: slot.previous, elapsedMs };
		slot.current += cost;

		return { allowed: true, current: slot.current, previous: slot.previous, elapsedMs };
	}

	async reset(subject: string): Promise<void> {
		this.slots.delete(subject);
	}

	close(): void {
		clearInterval(this.sweeper);
	}

	/** The subject's counters moved on to window `index`. */
	private slotOf(subject: string, index: number): Slot {
		const slot = this.slots.get(subject);
		if (slot?.index === index) return slot;
		const fresh: Slot = {
			index,
			current: 0,
			previous: slot?.index === index - 1 ? slot.current : 0,
		};
		this.slots.set(subject, fresh);

		return fresh;
	}

	/** Drops callers not seen for two windows; their counts no longer matter. */
	private sweep(): void {
		const { index } = windowOf(Date.now(), this.windowMs);
		for (const [subject, slot] of this.slots) {
			if (slot.index < index - 1) this.slots.delete(subject);
		}
	}
}
