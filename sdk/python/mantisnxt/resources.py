"""The gateway's REST resources of one organization. Every resource is the one ``Resource``
class (list, get, create, update, delete, and its workflow steps as methods); the table in
``resources_of`` says which exist.
"""

from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import quote

from .records import Page, Record
from .transport import Transport
from .types import body_of


def _body(data: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """A request body from a dataclass, a dict or keyword arguments (keywords win)."""
    return {**(body_of(data) if data is not None else {}), **body_of(fields)}


class Resource:
    """One collection of the gateway (``/v1/organizations/<id>/customers``)."""

    def __init__(self, transport: Transport, path: str, steps: Iterable[str] = ()) -> None:
        self._transport = transport
        self.path = path
        for step in steps:
            setattr(self, step.replace("-", "_"), self._step_method(step))

    def list(self, filter: dict[str, Any] | None = None, **params: Any) -> Page:
        """One page (the first, or the one ``page``/``cursor`` names); ``iter_all()`` goes on.

        ``filter`` and keyword arguments are both query parameters: ``limit``, ``sort``,
        ``fields``, ``include``, ``q`` and any declared filter (``segment_in=[…]``).
        """
        query = {**(filter or {}), **params}
        envelope = self._transport.request("GET", self.path, query=query)
        return Page(self, query, envelope)

    def get(
        self, id: str, *, include: list[str] | None = None, fields: list[str] | None = None
    ) -> Record:
        query = {"include": include, "fields": fields}
        return self._data("GET", self._item(id), query=query)

    def create(
        self, data: Any = None, *, idempotency_key: str | None = None, **fields: Any
    ) -> Record:
        """Sent with an ``Idempotency-Key`` (a new one per call unless given), so a retried
        create makes one record."""
        body = _body(data, fields)
        return self._data("POST", self.path, body=body, idempotency_key=idempotency_key or True)

    def update(
        self, id: str, data: Any = None, *, if_version: int | None = None, **fields: Any
    ) -> Record:
        """Merges the given fields; with ``if_version``, refused (412) if the resource moved on."""
        headers = {} if if_version is None else {"if-match": f'"{id}.{if_version}"'}
        return self._data("PATCH", self._item(id), body=_body(data, fields), headers=headers)

    def delete(self, id: str) -> Record:
        return self._data("DELETE", self._item(id))

    def step(self, id: str, step: str, data: Any = None, **fields: Any) -> Record:
        """A workflow step (``POST …/{id}/<step>``); repeated safely under one idempotency key."""
        path = f"{self._item(id)}/{step}"
        return self._data("POST", path, body=_body(data, fields), idempotency_key=True)

    def child(self, id: str, name: str, steps: Iterable[str] = ()) -> Resource:
        """A collection under one item (``customers/{id}/contacts``)."""
        return Resource(self._transport, f"{self._item(id)}/{name}", steps)

    def _item(self, id: str) -> str:
        return f"{self.path}/{quote(str(id), safe='')}"

    def _step_method(self, step: str):
        def run(id: str, data: Any = None, **fields: Any) -> Record:
            return self.step(id, step, data, **fields)

        run.__name__ = step.replace("-", "_")
        run.__doc__ = f"``POST …/{{id}}/{step}``"
        return run

    def _data(self, method: str, path: str, **options: Any) -> Any:
        return Record.of(self._transport.request(method, path, **options).get("data"))


class Customers(Resource):
    def contacts(self, customer_id: str) -> Resource:
        return self.child(customer_id, "contacts")

    def interactions(self, customer_id: str) -> Resource:
        return self.child(customer_id, "interactions")

    def bulk_create(self, items: list[Any]) -> Record:
        """Up to 1,000 customers; valid items commit even when others fail. The answer has
        ``succeeded``, ``failed`` and one entry per item in ``results``."""
        body = {"items": [body_of(item) for item in items]}
        return self._data("POST", f"{self.path}/bulk", body=body, idempotency_key=True)


class Webhooks(Resource):
    def deliveries(self, webhook_id: str) -> Resource:
        return self.child(webhook_id, "deliveries", ["redeliver"])


def resources_of(transport: Transport, organization_id: str) -> dict[str, Resource]:
    """Every resource of one organization, by attribute name."""
    org = f"/v1/organizations/{quote(organization_id, safe='')}"

    def at(path: str, *steps: str, kind: type[Resource] = Resource) -> Resource:
        return kind(transport, f"{org}/{path}", steps)

    return {
        "customers": at("customers", kind=Customers),
        "orders": at("orders", "confirm", "process", "ship", "deliver", "cancel"),
        "products": at("products"),
        "quotes": at("quotes", "send", "accept", "reject", "convert"),
        "invoices": at("invoices", "send", "void"),
        "payments": at("payments", "complete", "fail"),
        "leads": at("leads", "convert"),
        "opportunities": at("opportunities", "stage"),
        "accounts": at("accounts"),
        "journal_entries": at("journal-entries"),
        "tickets": at("tickets"),
        "notifications": at("notifications"),
        "members": at("members"),
        "oauth_clients": at("oauth-clients"),
        "events": at("events"),
        "webhooks": at("webhooks", "test", "rotate-secret", kind=Webhooks),
        "api_keys": Resource(transport, "/v1/auth/api-keys"),
    }
