/**
 * The HTTP side of a delivery, on undici: keep-alive connections per origin, a bounded number
 * of them per endpoint, a connect timeout, and one 15 s budget for the whole exchange (contract).
 * Redirects are never followed (undici's `request` does not), and the receiver's body is read
 * only to free the connection, then dropped: nothing of it is kept or reported.
 */
import net from "node:net";
import { performance } from "node:perf_hooks";
import { Agent, buildConnector, request } from "undici";
import { ForbiddenAddressError, guardedLookup, refusalOf } from "./address-policy";
import { type AttemptResult, parseRetryAfter } from "./schedule";

/** A delivery whose response headers have not arrived by then has failed (contract: 15 s). */
export const DELIVERY_TIMEOUT_MS = 15_000;

const CONNECT_TIMEOUT_MS = 5_000;

/** Connections (and so concurrent deliveries) per receiving origin on one worker node. */
export const CONNECTIONS_PER_ORIGIN = 10;

/** Most bytes of a receiver's answer read before the connection is dropped instead. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

function describeError(err: unknown): string {
	const e = err as { name?: string; code?: string; message?: string };
	if (err instanceof ForbiddenAddressError) return err.message;
	if (
		e.name === "TimeoutError" ||
		e.name === "AbortError" ||
		e.code === "UND_ERR_HEADERS_TIMEOUT"
	)
		return `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`;
	if (e.code === "UND_ERR_CONNECT_TIMEOUT")
		return `could not connect within ${CONNECT_TIMEOUT_MS / 1000} s`;
	if (e.code) return `${e.code}${e.message ? `: ${e.message}` : ""}`;

	return e.message || "the request failed";
}

function errorOfStatus(code: number): string | null {
	if (code >= 200 && code < 300) return null;
	if (code >= 300 && code < 400) return `HTTP ${code} (redirects are not followed)`;

	return `HTTP ${code}`;
}

/**
 * The connector: the address policy applies to IP literals before
 * connecting, to names at DNS time, and to the peer once connected.
 */
function guardedConnector(allowPrivate: boolean): buildConnector.connector {
	const base = buildConnector({
		timeout: CONNECT_TIMEOUT_MS,
		...(allowPrivate ? {} : { lookup: guardedLookup }),
	});
	if (allowPrivate) return base;

	return (options, callback) => {
		const host = options.hostname.replace(/^\[|\]$/g, "");
		const early = net.isIP(host) ? refusalOf(host, host) : undefined;
		if (early) return callback(early, null);
		base(options, (err, socket) => {
			if (err || !socket) return callback(err ?? new Error("no socket"), null);
			const refusal = refusalOf(host, socket.remoteAddress ?? "");
			if (refusal) {
				socket.destroy();

				return callback(refusal, null);
			}

			return callback(null, socket);
		});
	};
}

export class WebhookClient {
	private readonly agent: Agent;

	constructor(options: { allowPrivate: boolean }) {
		this.agent = new Agent({
			connect: guardedConnector(options.allowPrivate),
			connections: CONNECTIONS_PER_ORIGIN,
			keepAliveTimeout: 10_000,
			keepAliveMaxTimeout: 60_000,
			headersTimeout: DELIVERY_TIMEOUT_MS,
			bodyTimeout: DELIVERY_TIMEOUT_MS,
		});
	}

	/** POSTs `body`; resolves (never rejects) with what an operator may see of the outcome. */
	async post(url: string, body: Buffer, headers: Record<string, string>): Promise<AttemptResult> {
		const started = performance.now();
		const elapsed = () => Math.round(performance.now() - started);
		try {
			const res = await request(url, {
				method: "POST",
				headers,
				body,
				dispatcher: this.agent,
				signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
			});
			const latency = elapsed();
			await res.body.dump({ limit: DRAIN_LIMIT_BYTES }).catch(() => undefined);
			const code = res.statusCode;
			const retryAfter = res.headers["retry-after"];
			const result: AttemptResult = {
				status_code: code,
				latency_ms: latency,
				error: errorOfStatus(code),
			};
			if ((code === 429 || code === 503) && typeof retryAfter === "string")
				result.retry_after_ms = parseRetryAfter(retryAfter);

			return result;
		} catch (err) {
			return { status_code: null, latency_ms: elapsed(), error: describeError(err) };
		}
	}

	close(): Promise<void> {
		return this.agent.close();
	}
}
