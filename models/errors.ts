/**
 * The error catalogue of the contract. Every error a client can see has one of these codes;
 * a code is never reused for another meaning. Services throw `ApiError`s made by the helpers
 * below; the gateway turns anything else into INTERNAL_ERROR or SERVICE_UNAVAILABLE.
 */
import { Errors } from "moleculer";

export const ERROR_CODES = {
	/** The request's parameters or body break the rules; `details` names each field. */
	VALIDATION_ERROR: 400,
	/** No credential, or one that is malformed, expired or revoked. */
	UNAUTHORIZED: 401,
	/** The credential is valid but lacks the scope this route needs. */
	FORBIDDEN: 403,
	/** No such resource in the caller's organization (also for other organizations' ids). */
	NOT_FOUND: 404,
	METHOD_NOT_ALLOWED: 405,
	/** A unique field is taken, or a concurrent request holds the same idempotency key. */
	CONFLICT: 409,
	/** The resource's state does not allow this workflow step. */
	INVALID_STATE_TRANSITION: 409,
	/** `If-Match` names a version that is no longer current. */
	PRECONDITION_FAILED: 412,
	PAYLOAD_TOO_LARGE: 413,
	UNSUPPORTED_MEDIA_TYPE: 415,
	/** The idempotency key was used before with a different request. */
	IDEMPOTENCY_KEY_REUSED: 422,
	RATE_LIMITED: 429,
	INTERNAL_ERROR: 500,
	/** A service the request needs is down or timed out; retrying later may succeed. */
	SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetail {
	field: string;
	message: string;
	value?: unknown;
}

export interface ApiErrorData {
	details?: ErrorDetail[];
	/** Extra headers the gateway sets on the response (`Retry-After`, `Allow`). */
	headers?: Record<string, string>;
}

/** How much of a client's value, field name or message a detail repeats back. */
const MAX_ECHOED_CHARS = { value: 100, field: 200, message: 300 } as const;

function cut(text: string, max: number): string {
	return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * A detail as the client gets it back. Details often name the client's own input, which may be
 * megabytes long or nested thousands deep: strings are cut short, and a non-scalar value is
 * left out (the field and the rule say what is wrong), so an error body stays small and
 * serialising it cannot fail.
 */
function boundedDetail(detail: ErrorDetail): ErrorDetail {
	const field =
		typeof detail.field === "string" ? cut(detail.field, MAX_ECHOED_CHARS.field) : "body";
	const message =
		typeof detail.message === "string"
			? cut(detail.message, MAX_ECHOED_CHARS.message)
			: "is invalid";
	const { value } = detail;
	if (typeof value === "string")
		return { field, message, value: cut(value, MAX_ECHOED_CHARS.value) };
	if (value === null || typeof value === "number" || typeof value === "boolean")
		return { field, message, value };

	return { field, message };
}

/** An error meant for the client: its `type` is the catalogue code, its `code` the HTTP status. */
export class ApiError extends Errors.MoleculerError {
	declare type: ErrorCode;
	declare data: ApiErrorData;

	constructor(type: ErrorCode, message: string, data: ApiErrorData = {}) {
		const details = Array.isArray(data.details) ? data.details.map(boundedDetail) : undefined;
		super(message, ERROR_CODES[type], type, details ? { ...data, details } : data);
		this.name = "ApiError";
		this.retryable = type === "SERVICE_UNAVAILABLE";
	}
}

export function validationError(
	details: ErrorDetail[],
	message = "Invalid input parameters",
): ApiError {
	return new ApiError("VALIDATION_ERROR", message, { details });
}

export function notFound(resource: string): ApiError {
	return new ApiError("NOT_FOUND", `No such ${resource}`);
}

export function conflict(message: string, details: ErrorDetail[] = []): ApiError {
	return new ApiError("CONFLICT", message, { details });
}

/** `a lead`, `an order`: the noun with its indefinite article, for messages. */
export function withArticle(noun: string): string {
	return `${/^[aeiou]/i.test(noun) ? "an" : "a"} ${noun}`;
}

export function invalidTransition(
	resource: string,
	from: string,
	to: string,
	field = "status",
): ApiError {
	return new ApiError(
		"INVALID_STATE_TRANSITION",
		`${withArticle(resource).replace(/^a/, "A")} cannot go from ${from} to ${to}`,
		{ details: [{ field, message: `not allowed from ${from}`, value: to }] },
	);
}

export function unauthorized(message = "A valid credential is required"): ApiError {
	return new ApiError("UNAUTHORIZED", message);
}

export function forbidden(message: string): ApiError {
	return new ApiError("FORBIDDEN", message);
}

export function preconditionFailed(current: string): ApiError {
	return new ApiError(
		"PRECONDITION_FAILED",
		"The resource has changed since the given If-Match",
		{
			details: [
				{ field: "If-Match", message: "does not match the current ETag", value: current },
			],
		},
	);
}

/**
 * No route decodes `Content-Encoding` (REST conventions in README): a compressed body is
 * refused alike on JSON, import and upload routes rather than read as if it were plain.
 */
export function unsupportedEncoding(): ApiError {
	return new ApiError(
		"UNSUPPORTED_MEDIA_TYPE",
		"Content-Encoding is not supported: send the body uncompressed",
		{ details: [{ field: "Content-Encoding", message: "must be identity or absent" }] },
	);
}

/* Mapping any error (Moleculer's, moleculer-web's, the body parser's) onto the catalogue. */

interface RawError {
	name?: string;
	message?: string;
	type?: string;
	code?: number | string;
	status?: number;
	data?: unknown;
	retryable?: boolean;
}

/** Moleculer's parameter validator reports `[{field, message, actual}]`. */
function validatorDetails(data: unknown[]): ErrorDetail[] {
	return data.map((item) => {
		const d = item as { field?: string; message?: string; actual?: unknown };
		const field = d.field ?? "params";

		return {
			field,
			message: (d.message ?? "is invalid").replace(/^The '.*?' field /, ""),
			value: d.actual,
		};
	});
}

/** Errors of the HTTP layer (body parser, router) before any action ran. */
function transportError(err: RawError): ApiError | undefined {
	switch (err.type) {
		case "entity.parse.failed":
			return new ApiError("VALIDATION_ERROR", "The request body is not valid JSON", {
				details: [{ field: "body", message: "malformed JSON" }],
			});
		case "entity.too.large":
			return new ApiError("PAYLOAD_TOO_LARGE", "The request body is too large");
		case "encoding.unsupported":
			return unsupportedEncoding();
		case "charset.unsupported":
			return new ApiError("UNSUPPORTED_MEDIA_TYPE", "The body's charset is not supported");
		case "RATE_LIMIT_EXCEEDED":
			return new ApiError("RATE_LIMITED", "Too many requests");
		case "NOT_FOUND":
			// moleculer-web's own 404 (no route) has no data; ours always has details or a noun.
			if (err.name === "NotFoundError") return new ApiError("NOT_FOUND", "No such route");

			return undefined;
		default:
			return undefined;
	}
}

/** Faults the client may retry: a service down, busy or slow. */
function isUnavailable(err: RawError): boolean {
	return (
		err instanceof Errors.RequestTimeoutError ||
		err instanceof Errors.ServiceNotFoundError ||
		err instanceof Errors.ServiceNotAvailableError ||
		err.name === "BrokerDisconnectedError" ||
		err instanceof Errors.QueueIsFullError ||
		err instanceof Errors.MaxCallLevelError ||
		err.name === "ServiceUnavailableError" ||
		err.type === "SERVICE_NOT_FOUND" ||
		err.type === "SERVICE_NOT_AVAILABLE" ||
		err.type === "REQUEST_TIMEOUT" ||
		err.type === "CIRCUIT_BREAKER_OPENED" ||
		err.code === 503
	);
}

export function toApiError(error: unknown): ApiError {
	if (error instanceof ApiError) return error;
	const err = (error ?? {}) as RawError;
	const type = err.type as ErrorCode | undefined;

	if (type === "VALIDATION_ERROR" && Array.isArray(err.data)) {
		return new ApiError("VALIDATION_ERROR", "Invalid input parameters", {
			details: validatorDetails(err.data),
		});
	}
	const fromTransport = transportError(err);
	if (fromTransport) return fromTransport;
	// An ApiError thrown on another node arrives as a plain MoleculerError with the same type.
	if (type && type in ERROR_CODES && err.code === ERROR_CODES[type]) {
		return new ApiError(type, err.message ?? type, (err.data as ApiError["data"]) ?? {});
	}
	if (isUnavailable(err))
		return new ApiError(
			"SERVICE_UNAVAILABLE",
			"A service this request needs is unavailable; retry later",
		);

	return new ApiError("INTERNAL_ERROR", "An internal error occurred");
}
