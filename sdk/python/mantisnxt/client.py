"""``MantisClient(api_key=…, organization_id=…)``: the gateway's resources of one organization
over one configured transport, and the same resources as coroutines in ``async_session()``."""

from __future__ import annotations

import asyncio
import platform
import time
from typing import Any, Callable

from .resources import Customers, Resource, Webhooks, resources_of
from .transport import RetryInfo, Transport

VERSION = "0.1.0"


class MantisClient:
    """A client of one organization. Resources are attributes: ``client.customers``,
    ``client.orders.ship(order_id, carrier="UPS")``, ``client.webhooks.deliveries(id)``."""

    # Set from the table in resources_of; declared here for editors and type checkers.
    customers: Customers
    orders: Resource
    products: Resource
    quotes: Resource
    invoices: Resource
    payments: Resource
    leads: Resource
    opportunities: Resource
    accounts: Resource
    journal_entries: Resource
    tickets: Resource
    notifications: Resource
    members: Resource
    oauth_clients: Resource
    events: Resource
    webhooks: Webhooks
    api_keys: Resource

    def __init__(
        self,
        api_key: str,
        organization_id: str,
        base_url: str = "http://localhost:3000",
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_retry_delay: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[RetryInfo], None] | None = None,
    ) -> None:
        """``base_url`` is the server root; a trailing ``/v1`` is accepted too. ``timeout`` is
        per attempt; ``max_retries`` counts retries after the first attempt; a Retry-After
        longer than ``max_retry_delay`` seconds is raised as RateLimitedError instead of waited
        for. ``sleep`` and ``on_retry`` let schedulers and tests see and shape the waits."""
        if not api_key:
            raise ValueError("MantisClient: api_key is required")
        if not organization_id:
            raise ValueError("MantisClient: organization_id is required")
        root = base_url.rstrip("/")
        root = root[: -len("/v1")] if root.endswith("/v1") else root
        self.organization_id = organization_id
        self.transport = Transport(
            api_key=api_key,
            base_url=root,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_delay=max_retry_delay,
            sleep=sleep,
            on_retry=on_retry,
            user_agent=f"mantis-sdk-python/{VERSION} python/{platform.python_version()}",
        )
        self._resources = resources_of(self.transport, organization_id)
        for name, resource in self._resources.items():
            setattr(self, name, resource)

    def async_session(self) -> AsyncSession:
        """The same resources for asyncio code: ``async with client.async_session() as s:
        await s.customers.create(…)``. Each call runs in a worker thread."""
        return AsyncSession(self._resources)


class _AsyncResource:
    """A resource whose methods are coroutines (run with ``asyncio.to_thread``)."""

    def __init__(self, resource: Resource) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._resource, name)
        if not callable(method):
            return method

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return call


class AsyncSession:
    def __init__(self, resources: dict[str, Resource]) -> None:
        for name, resource in resources.items():
            setattr(self, name, _AsyncResource(resource))

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Each request opens and closes its own connection: nothing is left to release.
        return None
