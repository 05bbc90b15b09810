/**
 * The sliding window counter on its own, in memory and (when Redis answers) in Redis: what it
 * lets through as time passes, and the headers' arithmetic. The clock is a variable here, so an
 * hour passes at once.
 */
import crypto from "node:crypto";
import Redis from "ioredis";
import { stateOf, WINDOW_MS } from "../../services/api/rate-limit";
import {
	type CounterStore,
	MemoryCounterStore,
	RedisCounterStore,
} from "../../services/api/sliding-window";
import { REDIS_URL } from "../helpers/gateway";
import { describeWithRedis } from "../helpers/redis";

const HOUR = WINDOW_MS;
let now = 0;

beforeEach(() => {
	// The start of an hour-long window, so "half way" below is exactly that.
	now = Math.ceil(Date.now() / HOUR) * HOUR;
	jest.spyOn(Date, "now").mockImplementation(() => now);
});

afterEach(() => {
	jest.restoreAllMocks();
});

/** The same behaviour from every store. */
function behavesAsSlidingWindow(makeStore: () => CounterStore): void {
	let store: CounterStore;

	/** How many of `tries` single-unit calls pass for `subject`. */
	async function passing(subject: string, limit: number, tries: number): Promise<number> {
		let passed = 0;
		for (let i = 0; i < tries; i++)
			if ((await store.take(subject, limit, 1)).allowed) passed += 1;

		return passed;
	}

	beforeEach(() => {
		store = makeStore();
	});

	test("no more than the limit passes within a window", async () => {
		expect(await passing("a", 10, 25)).toBe(10);
	});

	test("a burst at the end of one window and the start of the next is not twice the limit", async () => {
		now += HOUR - 1000;
		expect(await passing("b", 10, 10)).toBe(10);

		now += 2000;

		// The previous window still weighs almost fully: nothing more passes.
		expect(await passing("b", 10, 10)).toBe(0);
	});

	test("the previous window's count fades as the current one advances", async () => {
		expect(await passing("c", 10, 10)).toBe(10);

		now += HOUR + HOUR / 2;

		// Half of the previous ten still count: five units are free.
		expect(await passing("c", 10, 10)).toBe(5);
	});

	test("refused calls are not counted, and callers do not share counts", async () => {
		expect(await passing("d", 3, 50)).toBe(3);
		expect(await passing("e", 3, 3)).toBe(3);

		now += 2 * HOUR;

		expect(await passing("d", 3, 3)).toBe(3);
	});

	test("a call costing several units takes them all or none", async () => {
		expect((await store.take("f", 10, 8)).allowed).toBe(true);
		expect((await store.take("f", 10, 3)).allowed).toBe(false);
		expect((await store.take("f", 10, 2)).allowed).toBe(true);
	});

	test("a reset forgets a caller's counts", async () => {
		expect(await passing("g", 2, 2)).toBe(2);

		await store.reset("g");

		expect(await passing("g", 2, 3)).toBe(2);
	});
}

describe("the sliding window in memory", () => {
	const stores: MemoryCounterStore[] = [];
	afterAll(() => stores.forEach((s) => s.close()));

	behavesAsSlidingWindow(() => {
		const store = new MemoryCounterStore(HOUR);
		stores.push(store);

		return store;
	});
});

// Several engineers share this Redis: every key is under a random prefix and removed after.
describeWithRedis("the sliding window in Redis", () => {
	const redis = new Redis(REDIS_URL, { lazyConnect: true });
	let prefix: string;

	afterEach(async () => {
		const keys = await redis.keys(`${prefix}:*`);
		if (keys.length) await redis.del(...keys);
	});

	afterAll(async () => {
		await redis.quit();
	});

	behavesAsSlidingWindow(() => {
		prefix = `t-${crypto.randomBytes(6).toString("hex")}:rate-limit`;

		return new RedisCounterStore(redis, prefix, HOUR);
	});
});

describe("what the headers say", () => {
	test("remaining counts what is left after this call; reset is the end of the window", () => {
		const state = stateOf(100, 1, {
			allowed: true,
			current: 40,
			previous: 0,
			elapsedMs: HOUR / 4,
		});

		expect(state).toEqual({ limit: 100, remaining: 60, resetSeconds: 2700 });
	});

	test("a refused call is told to wait until the previous window has faded enough", () => {
		// 60 now, 80 before weighing 50 %: 100 used; one
		// unit fits after the weight drops to 48.75 %.
		const state = stateOf(100, 1, {
			allowed: false,
			current: 60,
			previous: 80,
			elapsedMs: HOUR / 2,
		});

		expect(state.remaining).toBe(0);
		expect(state.retryAfterSeconds).toBe(45);
		expect(state.resetSeconds).toBe(state.retryAfterSeconds);
	});

	test("when the current window alone is full, the wait runs into the next window", () => {
		const state = stateOf(10, 1, { allowed: false, current: 10, previous: 0, elapsedMs: 0 });

		// The window ends in an hour; then its 10 must fade to 9: another tenth of an hour.
		expect(state.retryAfterSeconds).toBe(3600 + 360);
	});
});
