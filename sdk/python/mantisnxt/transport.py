"""One request to the gateway: the credential, JSON in and out, a timeout per attempt, and
retries of what is safe to repeat.

429 and 5xx answers and lost connections are retried with capped exponential backoff, or after
exactly the ``Retry-After`` the server asked for (plus a little jitter, never less). A POST is
repeated only under an ``Idempotency-Key``, the same on every attempt, so the gateway runs it at
most once.
"""

from __future__ import annotations

import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Mapping

from .errors import APIConnectionError, MantisError, error_of

#: Exponential backoff's first step and ceiling (seconds) when the server gives no Retry-After.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
#: Spread added on top of a Retry-After, so clients told the same moment do not all return at it.
RETRY_AFTER_SPREAD = 0.25


@dataclass(frozen=True)
class RetryInfo:
    """What ``on_retry`` is told before each wait."""

    method: str
    path: str
    #: 1 for the first retry.
    attempt: int
    #: Seconds the client is about to wait.
    delay: float
    #: Why: the failure of the attempt before.
    error: MantisError


def query_string(query: Mapping[str, Any] | None) -> str:
    """``?a=1&b=x,y``: None dropped, lists joined by commas, booleans as ``true``/``false``."""
    pairs = []
    for key, value in (query or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        pairs.append((key, str(value)))
    return f"?{urllib.parse.urlencode(pairs)}" if pairs else ""


def retry_after_of(headers: Mapping[str, str] | Any) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _is_retryable(error: MantisError, repeatable: bool) -> bool:
    if error.status == 429:
        return True
    # A concurrent duplicate of our own idempotent request: the first one is still running.
    if error.status == 409 and error.retry_after is not None:
        return repeatable
    if error.status is None or error.status >= 500:
        return repeatable
    return False


def _error_of_answer(status: int, headers: Any, text: str) -> MantisError:
    request_id = headers.get("x-request-id")
    error: dict[str, Any] = {}
    try:
        envelope = json.loads(text)
        error = envelope.get("error") or {}
        request_id = (envelope.get("meta") or {}).get("request_id") or request_id
    except (ValueError, AttributeError):
        pass  # Not our envelope (a proxy's page): the status is all there is.
    return error_of(
        error.get("message") or f"HTTP {status}",
        code=error.get("code") or f"HTTP_{status}",
        status=status,
        details=error.get("details"),
        request_id=request_id,
        retry_after=retry_after_of(headers),
    )


class Transport:
    """Sends requests to one gateway with one credential; shared by every resource."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float,
        max_retries: int,
        max_retry_delay: float,
        sleep: Callable[[float], None],
        on_retry: Callable[[RetryInfo], None] | None,
        user_agent: str,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_delay = max_retry_delay
        self.sleep = sleep
        self.on_retry = on_retry
        self.user_agent = user_agent

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | bool | None = None,
    ) -> dict[str, Any]:
        """Sends the request, retrying what may be retried; returns the parsed envelope."""
        key = str(uuid.uuid4()) if idempotency_key is True else idempotency_key or None
        repeatable = method != "POST" or key is not None
        sent = {
            "authorization": f"Bearer {self.api_key}",
            "accept": "application/json",
            "user-agent": self.user_agent,
            **({"idempotency-key": key} if key else {}),
            **({"content-type": "application/json"} if body is not None else {}),
            **(headers or {}),
        }
        url = f"{self.base_url}{path}{query_string(query)}"
        data = None if body is None else json.dumps(body).encode("utf-8")

        attempt = 0
        while True:
            try:
                return self._attempt(method, url, sent, data)
            except MantisError as error:
                delay = self._delay_before_retry(error, attempt, repeatable)
                if delay is None:
                    raise
                attempt += 1
                if self.on_retry:
                    self.on_retry(RetryInfo(method, path, attempt, delay, error))
                self.sleep(delay)

    def _delay_before_retry(
        self, error: MantisError, attempt: int, repeatable: bool
    ) -> float | None:
        """Seconds to wait before the next attempt, or None when there is none."""
        if attempt >= self.max_retries or not _is_retryable(error, repeatable):
            return None
        if error.retry_after is None:
            # "Full jitter": anywhere between zero and the exponential step.
            return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
        delay = error.retry_after + random.uniform(0, RETRY_AFTER_SPREAD)
        return delay if delay <= self.max_retry_delay else None

    def _attempt(
        self, method: str, url: str, headers: dict[str, str], data: bytes | None
    ) -> dict[str, Any]:
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                text = answer.read().decode("utf-8")
        except urllib.error.HTTPError as answer:
            with answer:
                raise _error_of_answer(
                    answer.code, answer.headers, answer.read().decode("utf-8", "replace")
                ) from None
        except (urllib.error.URLError, socket.timeout, ConnectionError) as failure:
            reason = getattr(failure, "reason", failure)
            raise APIConnectionError(
                f"Could not reach the gateway: {reason}", code="CONNECTION_ERROR"
            ) from failure
        return json.loads(text) if text else {}
