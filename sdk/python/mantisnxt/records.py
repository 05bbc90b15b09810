"""What the gateway answers, as Python values: JSON objects become ``Record`` (a dict whose keys
are also attributes, ``customer.name``), and a list answer becomes a ``Page`` that can follow
its cursor to the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from .resources import Resource


class Record:
    """A JSON object of the gateway: fields are attributes (``order.items``), snake_case as on
    the wire, and keys (``order["items"]``). Not a dict subclass, so no field is hidden behind a
    dict method of the same name (``items``, ``keys``, ``update``); ``to_dict()`` gives the JSON.
    """

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        object.__setattr__(self, "_fields", fields)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Record is read-only; send changes with the resource's update()")

    def __getitem__(self, name: str) -> Any:
        return self._fields[name]

    def __contains__(self, name: object) -> bool:
        return name in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and self._fields == other._fields

    def __repr__(self) -> str:
        return f"Record({self._fields!r})"

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON values (nested Records included)."""
        return {k: _plain(v) for k, v in self._fields.items()}

    @classmethod
    def of(cls, value: Any) -> Any:
        """``value`` with every JSON object in it, however deep, as a Record."""
        if isinstance(value, dict):
            return cls({k: cls.of(v) for k, v in value.items()})
        if isinstance(value, list):
            return [cls.of(v) for v in value]
        return value


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Page:
    """One page of a list, with what it needs to fetch the pages after it.

    Iterating a page gives its items; ``iter_all()`` gives every item from here to the last
    page, following ``next_cursor`` with the same filters and sort (keyset pages never overlap
    or skip, even while rows are added).
    """

    def __init__(self, resource: Resource, params: dict[str, Any], envelope: dict[str, Any]):
        self._resource = resource
        self._params = params
        self.data: list[Record] = Record.of(envelope.get("data") or [])
        self.pagination: Record = Record.of(envelope.get("pagination") or {"has_next": False})

    def __iter__(self) -> Iterator[Record]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def has_next(self) -> bool:
        given = self.pagination
        return bool("next_cursor" in given and given["has_next"] and given["next_cursor"])

    def next_page(self) -> Page | None:
        """The page after this one, or None on the last."""
        if not self.has_next:
            return None
        # `page` and `cursor` exclude each other: from here on the cursor says where we are.
        params = {k: v for k, v in self._params.items() if k != "page"}
        return self._resource.list(**{**params, "cursor": self.pagination["next_cursor"]})

    def pages(self) -> Iterator[Page]:
        """This page and every one after it."""
        page: Page | None = self
        while page is not None:
            yield page
            page = page.next_page()

    def iter_all(self) -> Iterator[Record]:
        """Every item from this page to the last."""
        for page in self.pages():
            yield from page.data
