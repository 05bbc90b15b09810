"""Exceptions the SDK raises.

A gateway error keeps everything its envelope said (``code``, ``message``, ``details``, the
request id) and gets the class of its code, so callers can use ``except NotFoundError`` or
branch on ``error.code``.
"""

from __future__ import annotations

from typing import Any


class MantisError(Exception):
    """Any failure of a call to the gateway."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        details: list[dict[str, Any]] | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        #: HTTP status; None when no answer arrived (connection failure, timeout).
        self.status = status
        #: The catalogue's UPPER_CASE code (``NOT_FOUND``), or ``CONNECTION_ERROR``.
        self.code = code
        #: ``[{"field", "message", "value"}]`` as the gateway sent them.
        self.details = details or []
        #: Quote it when asking for help: the gateway's logs are keyed by it.
        self.request_id = request_id
        #: Seconds the server asked to wait (``Retry-After``), when it did.
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f" (request {self.request_id})" if self.request_id else ""
        return f"{self.code}: {self.message}{where}"


class ValidationError(MantisError):
    """400 (and 413, 415): the request was wrong; ``details`` names the fields."""


class AuthenticationError(MantisError):
    """401: no credential, or one the gateway does not accept."""


class PermissionDeniedError(MantisError):
    """403: the credential lacks a scope or role."""


class NotFoundError(MantisError):
    """404: no such resource in this organization."""


class ConflictError(MantisError):
    """409: a duplicate, or a request that clashes with the resource's state."""


class InvalidStateTransitionError(ConflictError):
    """409: a workflow step the resource's current state does not allow."""


class PreconditionFailedError(MantisError):
    """412: the resource changed since the version given."""


class IdempotencyKeyReusedError(MantisError):
    """422: the idempotency key was used before with another body."""


class RateLimitedError(MantisError):
    """429 whose ``Retry-After`` was longer than the client waits, or retries ran out."""


class ServerError(MantisError):
    """500 or 503: retried by the SDK, raised once retries run out."""


class APIConnectionError(MantisError):
    """No answer at all: the connection failed or the request timed out."""


_BY_CODE: dict[str, type[MantisError]] = {
    "VALIDATION_ERROR": ValidationError,
    "PAYLOAD_TOO_LARGE": ValidationError,
    "UNSUPPORTED_MEDIA_TYPE": ValidationError,
    "UNAUTHORIZED": AuthenticationError,
    "FORBIDDEN": PermissionDeniedError,
    "NOT_FOUND": NotFoundError,
    "CONFLICT": ConflictError,
    "INVALID_STATE_TRANSITION": InvalidStateTransitionError,
    "PRECONDITION_FAILED": PreconditionFailedError,
    "IDEMPOTENCY_KEY_REUSED": IdempotencyKeyReusedError,
    "RATE_LIMITED": RateLimitedError,
    "INTERNAL_ERROR": ServerError,
    "SERVICE_UNAVAILABLE": ServerError,
}


def error_of(message: str, *, code: str, status: int | None = None, **fields: Any) -> MantisError:
    """The exception of a gateway answer: by its code, or by its status when the body is not
    the gateway's envelope."""
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = ServerError if status is not None and status >= 500 else MantisError
    return cls(message, code=code, status=status, **fields)
