"""The Python client of the Mantis integration gateway (standard library only)."""

from .client import VERSION, AsyncSession, MantisClient
from .errors import (
    APIConnectionError,
    AuthenticationError,
    ConflictError,
    IdempotencyKeyReusedError,
    InvalidStateTransitionError,
    MantisError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from .records import Page, Record
from .resources import Resource
from .transport import RetryInfo
from .webhooks import WebhookVerificationError, verify_mantis_signature, verify_webhook

__all__ = [
    "VERSION",
    "APIConnectionError",
    "AsyncSession",
    "AuthenticationError",
    "ConflictError",
    "IdempotencyKeyReusedError",
    "InvalidStateTransitionError",
    "MantisClient",
    "MantisError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitedError",
    "Record",
    "Resource",
    "RetryInfo",
    "ServerError",
    "ValidationError",
    "WebhookVerificationError",
    "verify_mantis_signature",
    "verify_webhook",
]
