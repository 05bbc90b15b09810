/**
 * `Idempotency-Key` on POST (contract: HTTP conventions). The first request with a key claims it
 * and runs; a successful answer is kept 24 hours and replayed, byte for byte the same JSON with
 * `Idempotent-Replayed: true`, to a retry with the same body. The same key with another body is
 * 422 IDEMPOTENCY_KEY_REUSED; a retry while the first still runs is 409 CONFLICT. A failed
 * request frees its key, so the client may retry it. Keys belong to one organization and one
 * credential (API key or user): nobody else's key can collide with or reveal yours.
 *
 * Kept in Redis when REDIS_URL is set (`SET NX PX` is the claim), else in the store through the
 * `idempotency-keys` service.
 */
import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "moleculer";
import { config } from "../../models/config";
import type { Auth, Meta } from "../../models/context";
import { ApiError, validationError } from "../../models/errors";
import type { ClaimResult, StoredResponse } from "../idempotency-keys.service";
import { subjectOf } from "./rate-limit";
import { redisKey, sharedRedis, withRedis } from "./redis";

export type { StoredResponse };

export const IDEMPOTENCY_HEADER = "idempotency-key";
export const REPLAYED_HEADER = "Idempotent-Replayed";
const TTL_MS = 24 * 60 * 60 * 1000;
/** Printable ASCII without spaces, as Stripe and the IETF idempotency-key draft allow. */
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/** A key this request holds: completed with its response, or released when it fails. */
export interface Claim {
	id: string;
	fingerprint: string;
}

export interface IdempotentRequest {
	method: string;
	/** Path and query string. */
	url: string;
	body: unknown;
	key: string;
}

interface Store {
	claim(id: string, fingerprint: string, lockMs: number): Promise<ClaimResult>;
	complete(id: string, fingerprint: string, response: StoredResponse): Promise<void>;
	release(id: string): Promise<void>;
}

interface Entry {
	fingerprint: string;
	response?: StoredResponse;
}

function redisStore(): Store | undefined {
	const redis = sharedRedis();
	if (!redis) return undefined;
	const key = (id: string) => redisKey("idempotency", id);

	return {
		async claim(id, fingerprint, lockMs) {
			const entry: Entry = { fingerprint };
			const set = await withRedis(() =>
				redis.set(key(id), JSON.stringify(entry), "PX", lockMs, "NX"),
			);
			if (set === "OK") return { claimed: true };
			const found = await withRedis(() => redis.get(key(id)));
			// Expired between the two commands: the key is free again.
			if (found === null) return this.claim(id, fingerprint, lockMs);
			const held = JSON.parse(found) as Entry;

			return { claimed: false, ...held };
		},
		async complete(id, fingerprint, response) {
			const entry: Entry = { fingerprint, response };
			await withRedis(() => redis.set(key(id), JSON.stringify(entry), "PX", TTL_MS));
		},
		async release(id) {
			await withRedis(() => redis.del(key(id)));
		},
	};
}

function serviceStore(ctx: Context<unknown, Meta>): Store {
	return {
		claim: (id, fingerprint, lockMs) =>
			ctx.call("idempotency-keys.claim", {
				id,
				fingerprint,
				lock_ms: lockMs,
				ttl_ms: TTL_MS,
			}),
		complete: (id, _fingerprint, response) =>
			ctx.call("idempotency-keys.complete", { id, response, ttl_ms: TTL_MS }),
		release: (id) => ctx.call("idempotency-keys.release", { id }),
	};
}

function storeOf(ctx: Context<unknown, Meta>): Store {
	return redisStore() ?? serviceStore(ctx);
}

function digest(text: string): string {
	return crypto.createHash("sha256").update(text).digest("base64url");
}

function keyDetail(key: string, message: string) {
	return [{ field: "Idempotency-Key", message, value: key }];
}

/**
 * Claims the request's key. Returns the claim to complete or release, or the first request's
 * response to replay; throws 400 (malformed key), 409 (still running) or 422 (another body).
 */
async function beginIdempotent(
	ctx: Context<unknown, Meta>,
	auth: Auth,
	request: IdempotentRequest,
): Promise<Claim | StoredResponse> {
	const { key } = request;
	if (!KEY_FORMAT.test(key))
		throw validationError(keyDetail(key, "must be 1 to 255 printable characters"));
	const id = digest(`${auth.organization_id}\n${subjectOf(auth)}\n${key}`);
	const fingerprint = digest(
		`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`,
	);
	// Held a little longer than any request may run, so a crashed node cannot hold it for 24 h.
	const lockMs = config().requestTimeoutMs + 5000;
	const found = await storeOf(ctx).claim(id, fingerprint, lockMs);
	if (found.claimed) return { id, fingerprint };
	if (found.fingerprint !== fingerprint)
		throw new ApiError(
			"IDEMPOTENCY_KEY_REUSED",
			"This Idempotency-Key was used for a different request",
			{ details: keyDetail(key, "was used within 24 hours with another body or path") },
		);
	if (!found.response)
		throw new ApiError(
			"CONFLICT",
			"A request with this Idempotency-Key is still being processed; retry shortly",
			{
				details: keyDetail(key, "is held by a request still running"),
				headers: { "Retry-After": "1" },
			},
		);

	return found.response;
}

function isClaim(value: Claim | StoredResponse): value is Claim {
	return "fingerprint" in value;
}

function completeIdempotent(
	ctx: Context<unknown, Meta>,
	claim: Claim,
	response: StoredResponse,
): Promise<void> {
	return storeOf(ctx).complete(claim.id, claim.fingerprint, response);
}

function releaseIdempotent(ctx: Context<unknown, Meta>, claim: Claim): Promise<void> {
	return storeOf(ctx).release(claim.id);
}

/** What the gateway keeps on a request while its key is claimed or replayed. */
export interface IdempotentHttpRequest extends IncomingMessage {
	originalUrl?: string;
	$params: { body?: unknown };
	$claim?: Claim;
	$replay?: StoredResponse;
}

/** Claims a POST's `Idempotency-Key`, or marks the request to be answered by a replay. */
export async function claimFromRequest(
	ctx: Context<unknown, Meta>,
	req: IdempotentHttpRequest,
): Promise<void> {
	const key = req.headers[IDEMPOTENCY_HEADER];
	if (req.method !== "POST" || typeof key !== "string" || !ctx.meta.auth) return;
	const found = await beginIdempotent(ctx, ctx.meta.auth, {
		method: req.method,
		url: req.originalUrl ?? req.url ?? "",
		body: req.$params.body,
		key,
	});
	if (isClaim(found)) req.$claim = found;
	else req.$replay = found;
}

/** The first answer again, marked as a replay. */
export function sendReplay(res: ServerResponse, replay: StoredResponse): void {
	res.writeHead(replay.status, {
		...replay.headers,
		"Content-Type": "application/json; charset=utf-8",
		[REPLAYED_HEADER]: "true",
	});
	res.end(replay.body);
}

/**
 * Keeps a successful answer for replays. If that fails the client still gets its answer (the
 * write happened); the key stays held until its lock expires, so a quick retry is 409, not a
 * second write.
 */
export async function keepResponse(
	ctx: Context<unknown, Meta>,
	req: IdempotentHttpRequest,
	res: ServerResponse,
	body: unknown,
): Promise<void> {
	const claim = req.$claim;
	if (!claim) return;
	req.$claim = undefined;
	const headers: Record<string, string> = {};
	const etag = res.getHeader("ETag");
	if (typeof etag === "string") headers.ETag = etag;
	if (ctx.meta.$location) headers.Location = ctx.meta.$location;
	const response = { status: ctx.meta.$statusCode ?? 200, headers, body: JSON.stringify(body) };
	await completeIdempotent(ctx, claim, response).catch((err: Error) =>
		ctx.broker.logger.warn(`Could not keep an idempotent response: ${err.message}`),
	);
}

/** Frees the key of a request that failed, so the client may retry it. */
export function releaseFromRequest(ctx: Context<unknown, Meta>, req: IdempotentHttpRequest): void {
	const claim = req.$claim;
	if (!claim) return;
	req.$claim = undefined;
	releaseIdempotent(ctx, claim).catch((err: Error) =>
		ctx.broker.logger.warn(`Could not free an idempotency key: ${err.message}`),
	);
}
