/**
 * Errors the SDK throws. A gateway error keeps everything the envelope said (`code`, `message`,
 * `details`, the request id) and gets the class of its code, so callers can branch with
 * `instanceof` or on `code`.
 */

/** One entry of an error's `details`: which field, what is wrong, the value given. */
export interface ErrorDetail {
	field: string;
	message: string;
	value?: unknown;
}

export interface MantisErrorInit {
	status?: number;
	code: string;
	message: string;
	details?: ErrorDetail[];
	requestId?: string;
	/** Seconds the server asked to wait (`Retry-After`), when it did. */
	retryAfter?: number;
}

export class MantisError extends Error {
	/** HTTP status; undefined when no answer arrived (network failure, timeout). */
	readonly status?: number;
	/** The catalogue's UPPER_CASE code (`NOT_FOUND`), or `CONNECTION_ERROR`. */
	readonly code: string;
	readonly details: ErrorDetail[];
	/** Quote it when asking for help: the gateway's logs are keyed by it. */
	readonly requestId?: string;
	readonly retryAfter?: number;

	constructor(init: MantisErrorInit) {
		super(init.message);
		this.name = new.target.name;
		this.status = init.status;
		this.code = init.code;
		this.details = init.details ?? [];
		this.requestId = init.requestId;
		this.retryAfter = init.retryAfter;
	}
}

export class ValidationError extends MantisError {}
export class AuthenticationError extends MantisError {}
export class PermissionError extends MantisError {}
export class NotFoundError extends MantisError {}
export class ConflictError extends MantisError {}
export class InvalidStateTransitionError extends ConflictError {}
export class PreconditionFailedError extends MantisError {}
export class IdempotencyKeyReusedError extends MantisError {}
export class RateLimitedError extends MantisError {}
/** A fault on the server's side (500, 503): retried by the SDK, thrown once retries run out. */
export class ServerError extends MantisError {}
/** No answer at all: the connection failed or the request timed out. */
export class ConnectionError extends MantisError {}

const BY_CODE: Record<string, new (init: MantisErrorInit) => MantisError> = {
	VALIDATION_ERROR: ValidationError,
	PAYLOAD_TOO_LARGE: ValidationError,
	UNSUPPORTED_MEDIA_TYPE: ValidationError,
	UNAUTHORIZED: AuthenticationError,
	FORBIDDEN: PermissionError,
	NOT_FOUND: NotFoundError,
	CONFLICT: ConflictError,
	INVALID_STATE_TRANSITION: InvalidStateTransitionError,
	PRECONDITION_FAILED: PreconditionFailedError,
	IDEMPOTENCY_KEY_REUSED: IdempotencyKeyReusedError,
	RATE_LIMITED: RateLimitedError,
	INTERNAL_ERROR: ServerError,
	SERVICE_UNAVAILABLE: ServerError,
};

/** The error of a gateway answer, by its code (or by its status when the body is not ours). */
export function errorOf(init: MantisErrorInit): MantisError {
	const ErrorClass =
		BY_CODE[init.code] ??
		(init.status !== undefined && init.status >= 500 ? ServerError : MantisError);

	return new ErrorClass(init);
}
