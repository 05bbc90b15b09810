/**
 * What one attempt's outcome means for its delivery (contract: "Webhooks"): 2xx is success,
 * 410 disables the endpoint, anything else is retried on the endpoint's schedule (429 and 503
 * no sooner than their Retry-After), and after the last retry the delivery is dead.
 */
import type { DeliveryStatus, RetryConfig } from "../../models/webhook";

/** No single wait is longer than this, whatever the schedule or Retry-After says. */
export const MAX_DELAY_MS = 24 * 60 * 60 * 1000;

/** Each scheduled wait is moved by up to this fraction either way, so retries do not stampede. */
export const JITTER = 0.1;

/**
 * An endpoint failing this long, with at least DISABLE_MIN_FAILURES failures in a row, is disabled.
 */
export const DISABLE_AFTER_MS = 5 * 24 * 60 * 60 * 1000;
export const DISABLE_MIN_FAILURES = 10;

/** What the worker observed; the receiver's body is never kept. */
export interface AttemptResult {
	status_code: number | null;
	latency_ms: number;
	/** Why the attempt failed, in a line an operator can act on (null on success). */
	error: string | null;
	/** Retry-After of a 429 or 503, in milliseconds. */
	retry_after_ms?: number;
}

export type Verdict = "succeeded" | "gone" | "retry";

export function verdictOf(result: AttemptResult): Verdict {
	const code = result.status_code;
	if (code !== null && code >= 200 && code < 300 && result.error === null) return "succeeded";
	if (code === 410) return "gone";

	return "retry";
}

/** The wait before retry number `retry` (1 = the first retry), capped and jittered. */
export function retryDelayMs(
	config: RetryConfig,
	retry: number,
	random: () => number = Math.random,
): number {
	const base = config.retry_delay * config.backoff_multiplier ** (retry - 1);
	const jittered = Math.min(base, MAX_DELAY_MS) * (1 - JITTER + 2 * JITTER * random());

	return Math.round(Math.min(jittered, MAX_DELAY_MS));
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in milliseconds. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
	if (!header) return undefined;
	const value = header.trim();
	if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_DELAY_MS);
	const at = Date.parse(value);
	if (Number.isNaN(at)) return undefined;

	return Math.min(Math.max(at - now, 0), MAX_DELAY_MS);
}

/** The delivery as it stood when the attempt was claimed. */
export interface AttemptState {
	attempts: number;
	round_attempts: number;
	retry_config: RetryConfig;
}

/** The fields an attempt's outcome sets on its delivery; the lease is always released. */
export function afterAttempt(
	state: AttemptState,
	result: AttemptResult,
	now: number,
	random: () => number = Math.random,
): Record<string, unknown> & { status: DeliveryStatus } {
	const at = new Date(now).toISOString();
	const round = state.round_attempts + 1;
	const common = {
		attempts: state.attempts + 1,
		round_attempts: round,
		last_attempt_at: at,
		last_status_code: result.status_code,
		last_latency_ms: result.latency_ms,
		last_error: result.error,
		lease: null,
	};
	const verdict = verdictOf(result);
	if (verdict === "succeeded")
		return { ...common, status: "succeeded", delivered_at: at, dead_reason: null };
	if (verdict === "gone") {
		return {
			...common,
			status: "dead",
			dead_reason: "The endpoint answered 410 Gone, so it was disabled",
		};
	}
	if (round > state.retry_config.max_retries) {
		const last = result.status_code === null ? result.error : `HTTP ${result.status_code}`;

		return {
			...common,
			status: "dead",
			dead_reason:
				`No success after ${round} attempt${round === 1 ? "" : "s"}; the last: ` +
				`${last}`,
		};
	}
	const scheduled = retryDelayMs(state.retry_config, round, random);
	const wait = Math.min(Math.max(scheduled, result.retry_after_ms ?? 0), MAX_DELAY_MS);

	return { ...common, status: "failed", next_attempt_at: new Date(now + wait).toISOString() };
}

export interface EndpointHealth {
	consecutive_failures: number;
	failing_since: string | null;
}

/** Sustained failure: long enough and often enough that the endpoint is switched off. */
export function autoDisableDue(health: EndpointHealth, now = Date.now()): boolean {
	if (!health.failing_since || health.consecutive_failures < DISABLE_MIN_FAILURES) return false;

	return now - Date.parse(health.failing_since) >= DISABLE_AFTER_MS;
}
