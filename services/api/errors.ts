/**
 * Any error to the contract's error catalogue. Clients see a code, a message, details and the
 * request id; never a stack, an internal message or a value that might hold a secret.
 */
import { Errors } from "moleculer";
import { ApiError, ERROR_CODES, type ErrorCode, type ErrorDetail } from "../../models/errors";

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

		return { field, message: (d.message ?? "is invalid").replace(/^The '.*?' field /, ""), value: d.actual };
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
		case "charset.unsupported":
			return new ApiError("UNSUPPORTED_MEDIA_TYPE", "The body's encoding or charset is not supported");
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
		return new ApiError("VALIDATION_ERROR", "Invalid input parameters", { details: validatorDetails(err.data) });
	}
	const fromTransport = transportError(err);
	if (fromTransport) return fromTransport;
	// An ApiError thrown on another node arrives as a plain MoleculerError with the same type.
	if (type && type in ERROR_CODES && err.code === ERROR_CODES[type]) {
		return new ApiError(type, err.message ?? type, (err.data as ApiError["data"]) ?? {});
	}
	if (isUnavailable(err)) return new ApiError("SERVICE_UNAVAILABLE", "A service this request needs is unavailable; retry later");

	return new ApiError("INTERNAL_ERROR", "An internal error occurred");
}

/** The JSON body of an error response. */
export function errorBody(error: ApiError, requestId: string | undefined, version: string): Record<string, unknown> {
	return {
		success: false,
		error: { code: error.type, message: error.message, details: error.data?.details ?? [] },
		meta: { timestamp: new Date().toISOString(), version, request_id: requestId ?? null },
	};
}
