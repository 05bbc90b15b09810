/**
 * One request to the gateway: the credential, JSON in and out, a timeout per attempt, and
 * retries of what is safe to repeat. 429 and 5xx answers and lost connections are retried with
 * capped exponential backoff, or after exactly the `Retry-After` the server asked for (plus a
 * little jitter, never less). A POST is repeated only under an `Idempotency-Key`, the same on
 * every attempt, so the gateway runs it at most once.
 */
import { randomUUID } from "node:crypto";
import { ConnectionError, errorOf, type ErrorDetail, MantisError } from "./errors";
import type { Envelope } from "./types";

export interface HttpOptions {
	apiKey: string;
	/** The server root (`http://localhost:3000`). */
	baseUrl: string;
	/** Per attempt (default 30 s). */
	timeoutMs: number;
	/** Retries after the first attempt (default 3). */
	maxRetries: number;
	/**
	 * The longest wait before a retry; a `Retry-After` beyond it is thrown instead (default 60 s).
	 */
	maxRetryDelayMs: number;
	/** How the SDK waits between attempts; tests and schedulers may replace it. */
	sleep: (ms: number) => Promise<void>;
	/** Told of each retry before its wait (for logging or metrics). */
	onRetry?: (retry: RetryInfo) => void;
	userAgent: string;
}

export interface RetryInfo {
	method: string;
	path: string;
	/** 1 for the first retry. */
	attempt: number;
	delayMs: number;
	/** Why: the answer or failure of the attempt before. */
	error: MantisError;
}

export type Query = Record<string, string | number | boolean | string[] | undefined | null>;

export interface RequestOptions {
	query?: Query;
	body?: unknown;
	headers?: Record<string, string>;
	/** An `Idempotency-Key`; `true` generates one. Makes a POST safe to retry. */
	idempotencyKey?: string | true;
	signal?: AbortSignal;
}

/** Exponential backoff's first step and ceiling, when the server gives no `Retry-After`. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8000;
/**
 * Spread added on top of a `Retry-After`, so clients told the same moment do not all return at it.
 */
const RETRY_AFTER_SPREAD_MS = 250;

export function queryString(query: Query = {}): string {
	const params = new URLSearchParams();
	for (const [key, value] of Object.entries(query)) {
		if (value === undefined || value === null) continue;
		params.set(key, Array.isArray(value) ? value.join(",") : String(value));
	}
	const text = params.toString();

	return text ? `?${text}` : "";
}

/** `Retry-After` in seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterOf(headers: Headers): number | undefined {
	const value = headers.get("retry-after");
	if (!value) return undefined;
	if (/^\d+$/.test(value.trim())) return Number(value);
	const date = Date.parse(value);

	return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function backoffMs(attempt: number): number {
	// "Full jitter": anywhere between zero and the exponential step.
	return Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
}

function isRetryable(err: MantisError, repeatable: boolean): boolean {
	if (err.status === 429) return true;
	// A concurrent duplicate of our own idempotent request: the first one is still running.
	if (err.status === 409 && err.retryAfter !== undefined) return repeatable;
	if (err.status === undefined || err.status >= 500) return repeatable;

	return false;
}

async function errorFromResponse(res: Response): Promise<MantisError> {
	const text = await res.text();
	let error: { code?: string; message?: string; details?: ErrorDetail[] } | undefined;
	let requestId = res.headers.get("x-request-id") ?? undefined;
	try {
		const body = JSON.parse(text) as Envelope<unknown>;
		error = body.error;
		requestId = body.meta?.request_id ?? requestId;
	} catch {
		// Not our envelope (a proxy's page): the status is all there is.
	}

	return errorOf({
		status: res.status,
		code: error?.code ?? `HTTP_${res.status}`,
		message: error?.message ?? `HTTP ${res.status}`,
		details: error?.details,
		requestId,
		retryAfter: retryAfterOf(res.headers),
	});
}

export class Http {
	constructor(readonly options: HttpOptions) {}

	/** Sends the request, retrying what may be retried; resolves with the parsed envelope. */
	async request<T>(
		method: string,
		path: string,
		opts: RequestOptions = {},
	): Promise<Envelope<T>> {
		const key = opts.idempotencyKey === true ? randomUUID() : opts.idempotencyKey;
		const repeatable = method !== "POST" || key !== undefined;
		const headers: Record<string, string> = {
			authorization: `Bearer ${this.options.apiKey}`,
			accept: "application/json",
			"user-agent": this.options.userAgent,
			...(key ? { "idempotency-key": key } : {}),
			...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
			...opts.headers,
		};
		const url = `${this.options.baseUrl}${path}${queryString(opts.query)}`;
		const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);

		for (let attempt = 0; ; attempt++) {
			try {
				return await this.attempt<T>(method, url, headers, body, opts.signal);
			} catch (err) {
				const error = err as MantisError;
				const delay = this.delayBeforeRetry(error, attempt, repeatable);
				if (delay === undefined || opts.signal?.aborted) throw error;
				this.options.onRetry?.({
					method,
					path,
					attempt: attempt + 1,
					delayMs: delay,
					error,
				});
				await this.options.sleep(delay);
			}
		}
	}

	/** How long to wait before the next attempt, or undefined when there is none. */
	private delayBeforeRetry(
		err: MantisError,
		attempt: number,
		repeatable: boolean,
	): number | undefined {
		if (!(err instanceof MantisError) || attempt >= this.options.maxRetries) return undefined;
		if (!isRetryable(err, repeatable)) return undefined;
		if (err.retryAfter === undefined) return backoffMs(attempt);
		const delay = err.retryAfter * 1000 + Math.random() * RETRY_AFTER_SPREAD_MS;

		return delay <= this.options.maxRetryDelayMs ? delay : undefined;
	}

	private async attempt<T>(
		method: string,
		url: string,
		headers: Record<string, string>,
		body: string | undefined,
		signal: AbortSignal | undefined,
	): Promise<Envelope<T>> {
		const timeout = AbortSignal.timeout(this.options.timeoutMs);
		let res: Response;
		try {
			res = await fetch(url, {
				method,
				headers,
				body,
				signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
			});
		} catch (err) {
			const timedOut = (err as Error).name === "TimeoutError";
			throw new ConnectionError({
				code: "CONNECTION_ERROR",
				message: timedOut
					? `No answer within ${this.options.timeoutMs} ms`
					: `Could not reach the gateway: ${(err as Error).message}`,
			});
		}
		if (!res.ok) throw await errorFromResponse(res);

		return (await res.json()) as Envelope<T>;
	}
}
