/** The retry schedule and what each attempt's outcome does to a delivery (contract: "Webhooks"). */
import { DEFAULT_RETRY_CONFIG } from "../../models/webhook";
import {
	afterAttempt,
	autoDisableDue,
	MAX_DELAY_MS,
	parseRetryAfter,
	retryDelayMs,
	verdictOf,
} from "../../services/webhooks/schedule";

const HOUR = 3600 * 1000;
const low = () => 0;
const high = () => 0.999999;
const state = (round_attempts: number, max_retries = 3) => ({
	attempts: round_attempts,
	round_attempts,
	retry_config: { max_retries, retry_delay: 1000, backoff_multiplier: 2 },
});
const failure = { status_code: 500, latency_ms: 12, error: "HTTP 500" };

describe("retry delays", () => {
	test("grow by backoff_multiplier from retry_delay, within ±10 % jitter", () => {
		const config = { max_retries: 8, retry_delay: 5000, backoff_multiplier: 5 };
		[5000, 25_000, 125_000, 625_000].forEach((base, i) => {
			expect(retryDelayMs(config, i + 1, low)).toBe(base * 0.9);
			expect(retryDelayMs(config, i + 1, () => 0.5)).toBe(base);
			expect(retryDelayMs(config, i + 1, high)).toBeLessThanOrEqual(base * 1.1);
		});
	});

	test("never exceed 24 hours, jitter included", () => {
		const config = { ...DEFAULT_RETRY_CONFIG, max_retries: 20 };
		for (let retry = 1; retry <= 20; retry++)
			expect(retryDelayMs(config, retry, high)).toBeLessThanOrEqual(MAX_DELAY_MS);
		expect(retryDelayMs(config, 20, low)).toBe(MAX_DELAY_MS * 0.9);
	});
});

describe("Retry-After", () => {
	test("is read as seconds or as an HTTP date, and capped at 24 hours", () => {
		const now = Date.parse("2025-01-01T00:00:00Z");
		expect(parseRetryAfter("120", now)).toBe(120_000);
		expect(parseRetryAfter("Wed, 01 Jan 2025 00:01:00 GMT", now)).toBe(60_000);
		expect(parseRetryAfter("999999999", now)).toBe(MAX_DELAY_MS);
		expect(parseRetryAfter("soon", now)).toBeUndefined();
		expect(parseRetryAfter(undefined, now)).toBeUndefined();
	});

	test("pushes the next attempt back when it asks for longer than the schedule", () => {
		const now = Date.now();
		const set = afterAttempt(
			state(0),
			{ ...failure, status_code: 429, retry_after_ms: 30_000 },
			now,
			low,
		);

		expect(Date.parse(set.next_attempt_at as string) - now).toBe(30_000);
	});

	test("never shortens the schedule", () => {
		const now = Date.now();
		const set = afterAttempt(
			state(0),
			{ ...failure, status_code: 503, retry_after_ms: 1 },
			now,
			low,
		);

		expect(Date.parse(set.next_attempt_at as string) - now).toBe(900);
	});
});

describe("outcome of an attempt", () => {
	test("2xx succeeds, 410 is gone, 3xx, 4xx, 5xx and network errors are retried", () => {
		expect(verdictOf({ status_code: 204, latency_ms: 1, error: null })).toBe("succeeded");
		expect(verdictOf({ status_code: 410, latency_ms: 1, error: "HTTP 410" })).toBe("gone");
		for (const code of [301, 302, 400, 404, 429, 500, 503])
			expect(verdictOf({ status_code: code, latency_ms: 1, error: `HTTP ${code}` })).toBe(
				"retry",
			);
		expect(verdictOf({ status_code: null, latency_ms: 15000, error: "no answer" })).toBe(
			"retry",
		);
	});

	test("max_retries counts retries after the first attempt: 3 allows 4 attempts", () => {
		const now = Date.now();
		for (let round = 0; round < 3; round++)
			expect(afterAttempt(state(round), failure, now).status).toBe("failed");
		const last = afterAttempt(state(3), failure, now);

		expect(last.status).toBe("dead");
		expect(last.dead_reason).toBe("No success after 4 attempts; the last: HTTP 500");
		expect(afterAttempt(state(0, 0), failure, now).status).toBe("dead");
	});

	test("every outcome releases the lease and records what was observed", () => {
		const set = afterAttempt(state(1), { status_code: 200, latency_ms: 42, error: null }, 0);

		expect(set).toMatchObject({
			status: "succeeded",
			attempts: 2,
			last_status_code: 200,
			last_latency_ms: 42,
			lease: null,
		});
	});
});

describe("automatic disabling", () => {
	test("needs both a long failing streak and enough failures in a row", () => {
		const now = Date.now();
		const sixDaysAgo = new Date(now - 6 * 24 * HOUR).toISOString();
		const anHourAgo = new Date(now - HOUR).toISOString();

		expect(autoDisableDue({ consecutive_failures: 50, failing_since: sixDaysAgo }, now)).toBe(
			true,
		);
		expect(autoDisableDue({ consecutive_failures: 50, failing_since: anHourAgo }, now)).toBe(
			false,
		);
		expect(autoDisableDue({ consecutive_failures: 3, failing_since: sixDaysAgo }, now)).toBe(
			false,
		);
		expect(autoDisableDue({ consecutive_failures: 0, failing_since: null }, now)).toBe(false);
	});
});
