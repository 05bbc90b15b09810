/**
 * The socket protocol's edges: what a handshake may carry, which actions `call` reaches, and
 * the error object every refusal takes (`{code, message, details?}`, the codes of the REST
 * catalogue), in acknowledgements, `error` notices and `connect_error`.
 */
import crypto from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Errors, type ServiceBroker } from "moleculer";
import type { Auth, RestParams } from "../../models/context";
import {
	ApiError,
	type ErrorCode,
	type ErrorDetail,
	forbidden,
	notFound,
	toApiError,
	validationError,
} from "../../models/errors";
import { nestsDeeperThan, tooDeep } from "../../models/json-depth";
import { authenticate, credentialOf } from "../api/credentials";
import { ROUTES } from "../api/routes";

/** Exactly the actions REST routes reach; nothing else is callable over a socket. */
export const CALLABLE_ACTIONS: readonly string[] = [...new Set(ROUTES.map((r) => r.action))].sort();
const CALLABLE = new Set(CALLABLE_ACTIONS);

/** Longer than any action name: a longer `call` name is refused before anything reads it. */
const MAX_ACTION_NAME = 128;

/** Event ids as the event log makes them (`evt_` and base-36 digits). */
const EVENT_ID = /^evt_[0-9a-z]{1,64}$/;

export interface Handshake {
	credential: string | undefined;
	lastEventId: string | undefined;
}

export interface SocketError {
	code: ErrorCode;
	message: string;
	details?: ErrorDetail[];
}

/**
 * `auth: {token, last_event_id?}`; the token may also come as REST sends it (`Authorization`
 * or `X-API-Key` headers), for clients that set headers rather than `auth`.
 */
export function parseHandshake(auth: unknown, headers: IncomingHttpHeaders): Handshake {
	const given = (typeof auth === "object" && auth !== null ? auth : {}) as Record<
		string,
		unknown
	>;
	const { token, last_event_id: lastEventId } = given;
	const details: ErrorDetail[] = [];
	if (token !== undefined && typeof token !== "string")
		details.push({ field: "auth.token", message: "must be a string" });
	if (
		lastEventId !== undefined &&
		(typeof lastEventId !== "string" || !EVENT_ID.test(lastEventId))
	)
		details.push({ field: "auth.last_event_id", message: "must be an event id (evt_…)" });
	if (details.length) throw validationError(details, "Invalid handshake");
	const fromAuth = typeof token === "string" ? token.replace(/^Bearer\s+/i, "").trim() : "";

	return {
		credential: fromAuth || credentialOf(headers),
		lastEventId: lastEventId as string | undefined,
	};
}

/**
 * The refusal of a message, or undefined. Checked before moleculer-io or our handlers see it:
 * a `call`'s action name must be a short string (moleculer-io puts it into log lines and error
 * messages, and turning a deeply nested array into a string overflows the stack outside any
 * handler), and no argument may nest deeper than a REST body may.
 */
export function refusedMessage(packet: unknown[]): ApiError | undefined {
	const action = packet[1];
	if (
		packet[0] === "call" &&
		!(typeof action === "string" && action.length > 0 && action.length <= MAX_ACTION_NAME)
	)
		return validationError([{ field: "action", message: "must be an action name" }]);
	if (packet.slice(1).some((arg) => nestsDeeperThan(arg))) return tooDeep("payload");

	return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks the params of a `call`, shaped as REST gives them to actions (`{params, query, body}`),
 * and sets the caller's organization as the path's `org_id`; another one there is 404, as on a
 * REST path. Query values are strings on REST, so numbers and booleans become strings here.
 * Completed in place: moleculer-io hands this same object to the action.
 */
export function completeCallParams(given: unknown, organizationId: string): RestParams {
	if (
		!isObject(given) ||
		(given.params !== undefined && !isObject(given.params)) ||
		(given.query !== undefined && !isObject(given.query))
	)
		throw validationError([{ field: "params", message: "must be {params?, query?, body?}" }]);
	const path = (given.params ?? {}) as Record<string, unknown>;
	// A REST path segment is always a string; an object here would reach the store as a query
	// operator (`{"id": {"$ne": null}}`).
	const notText = Object.keys(path).filter((name) => typeof path[name] !== "string");
	if (notText.length)
		throw validationError(
			notText.map((name) => ({ field: `params.${name}`, message: "must be a string" })),
		);
	if (path.org_id !== undefined && path.org_id !== organizationId) throw notFound("resource");
	given.params = { ...path, org_id: organizationId };
	if (given.query) given.query = Object.fromEntries(Object.entries(given.query).map(queryValue));

	return given as RestParams;
}

function queryValue([name, value]: [string, unknown]): [string, unknown] {
	const scalar = typeof value === "number" || typeof value === "boolean";

	return [name, scalar ? String(value) : value];
}

/** The caller behind a credential, as REST decides it (401 for none or a bad one). */
export function authenticateOn(
	broker: ServiceBroker,
	credential: string | undefined,
): Promise<Auth> {
	const requestId = newRequestId();
	const ctx = broker.ContextFactory.create(broker);
	ctx.requestID = requestId;
	ctx.meta = { requestId };

	return authenticate(ctx, credential);
}

/** The scope an action declares; one declaring none is not callable here (fail closed). */
export function scopeOf(broker: ServiceBroker, action: string): string {
	const endpoint = broker.findNextActionEndpoint(action);
	if (endpoint instanceof Error) throw endpoint;
	const scope = endpoint.action.scope;
	if (typeof scope !== "string") throw forbidden("This action is not callable over the socket");

	return scope;
}

/** An error as the client sees it, whatever was thrown. */
export function socketErrorOf(err: unknown): SocketError {
	const error = callError(err);
	const out: SocketError = { code: error.type, message: error.message };
	if (error.data?.details?.length) out.details = error.data.details;

	return out;
}

/** socket.io sends `message` and `data` of a refused handshake to the client's `connect_error`. */
export function handshakeError(err: unknown): Error & { data: SocketError } {
	const data = socketErrorOf(err);

	return Object.assign(new Error(data.message), { data });
}

function callError(err: unknown): ApiError {
	const raw = err as { type?: string; data?: { action?: unknown } } | undefined;
	const action = raw?.data?.action;
	// moleculer-io refuses an action outside the whitelist as "service not found": for the client
	// that is a thing that does not exist, not an outage to retry. The name is the client's:
	// only a string is looked at, never turned into one.
	if (
		err instanceof Errors.ServiceNotFoundError &&
		!(typeof action === "string" && CALLABLE.has(action))
	) {
		return new ApiError("NOT_FOUND", "No such action", {
			details: [{ field: "action", message: "is not callable over the socket" }],
		});
	}
	if (raw?.type === "ERR_INVALID_FORMAT")
		return validationError([{ field: "action", message: "must be an action name" }]);

	return toApiError(err);
}

/** Socket calls get request ids like REST requests do, for the logs and the event log. */
export function newRequestId(): string {
	return `req_${crypto.randomBytes(12).toString("base64url")}`;
}
