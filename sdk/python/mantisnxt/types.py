"""Request bodies as dataclasses, for editors and type checkers. Fields left None are not sent
(the gateway applies its defaults). Plain dicts and keyword arguments are accepted everywhere
too; ``/openapi.json`` lists every field of every resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

Segment = Literal["enterprise", "mid_market", "smb", "startup", "individual"]
CustomerStatus = Literal["active", "inactive", "prospect", "churned", "suspended"]


def body_of(value: Any) -> Any:
    """A request (dataclasses, however nested) as the JSON it stands for; None fields left out."""
    if is_dataclass(value) and not isinstance(value, type):
        pairs = ((f.name, getattr(value, f.name)) for f in fields(value))
        return {name: body_of(v) for name, v in pairs if v is not None}
    if isinstance(value, dict):
        return {k: body_of(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [body_of(v) for v in value]
    return value


@dataclass
class CreateCustomerRequest:
    name: str
    segment: Segment
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    status: CustomerStatus | None = None
    currency: str | None = None
    #: Your own id; unique in the organization.
    external_id: str | None = None
    address: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


@dataclass
class CreateProductRequest:
    sku: str
    name: str
    #: Major units of ``currency`` (``1299.99``).
    price: float
    currency: str | None = None
    description: str | None = None
    category: str | None = None
    stock: int | None = None
    is_active: bool | None = None
    metadata: dict[str, Any] | None = None


@dataclass
class LineItem:
    product_id: str
    quantity: int
    #: Default: the product's price.
    unit_price: float | None = None
    #: A fraction (0.15 = 15 %).
    discount: float | None = None


@dataclass
class CreateOrderRequest:
    customer_id: str
    items: list[LineItem] = field(default_factory=list)
    currency: str | None = None
    external_id: str | None = None
    tax_amount: float | None = None
    shipping_amount: float | None = None
    discount_amount: float | None = None
    notes: str | None = None
    metadata: dict[str, Any] | None = None


@dataclass
class CreateWebhookRequest:
    url: str
    #: Event names or wildcards: ``order.*``, ``invoice.paid``, ``*``.
    events: list[str]
    #: Default: generated (``whsec_…``) and answered once, in the create's answer.
    secret: str | None = None
    is_active: bool | None = None
    retry_config: dict[str, Any] | None = None
