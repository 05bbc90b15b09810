/**
 * What the gateway reads of an HTTP request before any route runs: its request id, whether it
 * carries a body and of which type, and whether it is one of the API's (`/v1`).
 */
import crypto from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Context } from "moleculer";
import type { Meta, RestParams } from "../../models/context";
import type { IdempotentHttpRequest } from "./idempotency";

/** Version of the API, reported in every envelope's `meta`. */
export const API_VERSION = "1.0.0";

/** A client's own `X-Request-Id` is kept when it is this tame; otherwise we make one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** An HTTP request as moleculer-web hands it to the gateway's hooks. */
export type GatewayRequest = IdempotentHttpRequest & {
	$ctx: Context<RestParams, Meta>;
	$params: RestParams;
	$action?: { name: string; scope?: string | false };
	$alias?: { method: string; path: string };
	parsedUrl?: string;
	originalUrl?: string;
};

/**
 * Request ids are unique, not secret: a random prefix per process and a counter, which costs
 * nothing per request (random bytes for each would be a measurable share of a cached GET).
 */
const REQUEST_ID_PREFIX = `req_${crypto.randomBytes(6).toString("base64url")}`;
let requestCounter = 0;

export function requestIdOf(req: IncomingMessage): string {
	const given = req.headers["x-request-id"];
	if (typeof given === "string" && REQUEST_ID.test(given)) return given;
	requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER;

	return `${REQUEST_ID_PREFIX}${requestCounter.toString(36)}`;
}

export function hasBody(req: IncomingMessage): boolean {
	const length = Number(req.headers["content-length"] ?? 0);

	return length > 0 || req.headers["transfer-encoding"] !== undefined;
}

export function isJson(req: IncomingMessage): boolean {
	const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();

	return type === "application/json" || type.endsWith("+json");
}

export function isApiPath(req: GatewayRequest): boolean {
	return (req.originalUrl ?? req.url ?? "").startsWith("/v1/");
}
