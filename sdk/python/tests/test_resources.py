"""Resources, pages and the async session against a running gateway."""

import asyncio
import unittest

from mantisnxt import Page, PreconditionFailedError, Record
from mantisnxt.types import CreateCustomerRequest, CreateOrderRequest, LineItem

from .support import client, unique


class ResourcesTest(unittest.TestCase):
    def test_create_get_update_and_list_answer_the_stored_customer(self) -> None:
        mantis = client()
        name = unique("Acme Corporation")
        created = mantis.customers.create(
            CreateCustomerRequest(name=name, email="contact@acme.test", segment="enterprise")
        )
        fetched = mantis.customers.get(created.id)
        updated = mantis.customers.update(created.id, company="Acme Holdings")
        listed = mantis.customers.list(filter={"segment": "enterprise"}, q=name)

        self.assertIsInstance(created, Record)
        self.assertEqual((created.name, created.segment), (name, "enterprise"))
        self.assertEqual(created.organization_id, mantis.organization_id)
        self.assertEqual(fetched, created)
        self.assertEqual(updated.company, "Acme Holdings")
        self.assertGreater(updated.version, created.version)
        self.assertEqual([c.id for c in listed], [created.id])

    def test_an_update_under_a_stale_version_raises_precondition_failed(self) -> None:
        mantis = client()
        customer = mantis.customers.create(name=unique("Versioned"), segment="smb")
        mantis.customers.update(customer.id, phone="+1 555 0100")

        with self.assertRaises(PreconditionFailedError) as raised:
            mantis.customers.update(customer.id, phone="+1 555 0199", if_version=customer.version)
        error = raised.exception
        self.assertEqual((error.status, error.code), (412, "PRECONDITION_FAILED"))

    def test_workflow_steps_are_methods_that_answer_the_updated_resource(self) -> None:
        mantis = client()
        customer = mantis.customers.create(name=unique("Buyer"), segment="smb")
        sku = unique("SKU").replace(" ", "-")
        product = mantis.products.create(sku=sku, name="Widget", price=12.5)
        order = mantis.orders.create(
            CreateOrderRequest(customer_id=customer.id, items=[LineItem(product.id, quantity=2)])
        )
        confirmed = mantis.orders.confirm(order.id)

        self.assertEqual((order.status, order.total_amount), ("draft", 25))
        self.assertEqual(order.items[0].name, "Widget")
        self.assertEqual(confirmed.status, "confirmed")

    def test_an_async_session_runs_the_same_resources_as_coroutines(self) -> None:
        async def create_and_fetch() -> tuple[Record, Record]:
            async with client().async_session() as session:
                customer = await session.customers.create(name=unique("Async"), segment="smb")
                return customer, await session.customers.get(customer.id)

        created, fetched = asyncio.run(create_and_fetch())

        self.assertEqual(fetched.id, created.id)


class PaginationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.mantis = client()
        cls.tag = unique("paged").replace(" ", "-")
        result = cls.mantis.customers.bulk_create(
            [
                {"name": f"Paged {i}", "segment": "individual", "external_id": f"{cls.tag}-{i}"}
                for i in range(7)
            ]
        )
        cls.created = {r.data.id for r in result.results}
        tags = [f"{cls.tag}-{i}" for i in range(7)]
        cls.filters = {"segment": "individual", "external_id_in": tags}

    def test_iter_all_follows_the_cursor_to_the_last_page_each_item_once(self) -> None:
        first = self.mantis.customers.list(filter=self.filters, limit=3)
        seen = [customer.id for customer in first.iter_all()]

        self.assertIsInstance(first, Page)
        self.assertEqual(len(self.created), 7)
        self.assertEqual(len(seen), 7)
        self.assertEqual(set(seen), self.created)

    def test_pages_are_walked_in_order_with_the_filters_kept(self) -> None:
        first = self.mantis.customers.list(filter=self.filters, limit=3, sort="name:asc")
        pages = list(first.pages())

        self.assertEqual([len(p) for p in pages], [3, 3, 1])
        self.assertEqual([c.name for p in pages for c in p], [f"Paged {i}" for i in range(7)])
        self.assertFalse(pages[-1].has_next)
        self.assertIsNone(pages[-1].next_page())


if __name__ == "__main__":
    unittest.main()
