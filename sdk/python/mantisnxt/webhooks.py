"""Checking that a webhook came from the gateway.

Standard Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``) signs the id
and the time with the body, so a replayed or delayed delivery is refused by its age;
``X-Mantis-Signature`` signs the body alone. Both compare in constant time. Pass the raw body
exactly as received: parsed and re-serialized JSON is not the text that was signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Iterable, Mapping

from .records import Record

SECRET_PREFIX = "whsec_"
#: How old (or how far ahead) ``webhook-timestamp`` may be by default, in seconds.
DEFAULT_TOLERANCE = 300


class WebhookVerificationError(Exception):
    """The delivery is not signed by any of the secrets, or not within the tolerance."""


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    # Works for plain dicts as well as case-insensitive header objects (http.client, WSGI).
    for key, value in headers.items():
        if key.lower() == name:
            return " ".join(value) if isinstance(value, (list, tuple)) else str(value)
    return None


def _standard_key(secret: str) -> bytes:
    """Standard Webhooks keys are the bytes after ``whsec_``; other secrets their UTF-8 bytes."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :])
    return secret.encode("utf-8")


def _raw(payload: bytes | str) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)


def verify_webhook(
    payload: bytes | str,
    headers: Mapping[str, Any],
    secrets: str | Iterable[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Record:
    """The event of a delivery whose Standard Webhooks signature matches one of ``secrets``
    (several during a rotation) and whose timestamp is within ``tolerance`` seconds of ``now``
    (a Unix time, default the current one). Raises WebhookVerificationError otherwise."""
    id_ = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not id_ or not timestamp or not signatures:
        raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature")
    now = time.time() if now is None else now
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        raise WebhookVerificationError("The webhook timestamp is outside the tolerance")

    body = _raw(payload)
    signed = f"{id_}.{timestamp}.".encode("utf-8") + body
    given = [s[3:] for s in signatures.split(" ") if s.startswith("v1,")]
    for secret in [secrets] if isinstance(secrets, str) else secrets:
        digest = hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()
        expected = base64.b64encode(digest).decode("ascii")
        if any(hmac.compare_digest(expected, signature) for signature in given):
            return Record.of(json.loads(body))
    raise WebhookVerificationError("No signature matches")


def verify_mantis_signature(payload: bytes | str, signature: str | None, secret: str) -> bool:
    """Whether ``X-Mantis-Signature`` (``sha256=<hex>``) is the HMAC of the body under
    ``secret``'s UTF-8 bytes."""
    if not signature:
        return False
    digest = hmac.new(secret.encode("utf-8"), _raw(payload), hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={digest}", signature)
