"""Gateway errors raised as the exception of their code, with the envelope's fields."""

import unittest

from mantisnxt import (
    APIConnectionError,
    AuthenticationError,
    InvalidStateTransitionError,
    MantisError,
    NotFoundError,
    RetryInfo,
    ValidationError,
)

from .support import client, unique


class ErrorsTest(unittest.TestCase):
    def test_a_missing_resource_raises_not_found_with_code_and_request_id(self) -> None:
        with self.assertRaises(NotFoundError) as raised:
            client().customers.get("00000000-0000-4000-8000-000000000000")
        error = raised.exception

        self.assertEqual((error.status, error.code), (404, "NOT_FOUND"))
        self.assertTrue(error.request_id)
        self.assertIn(error.request_id, str(error))

    def test_a_bad_field_raises_validation_error_naming_it_in_details(self) -> None:
        with self.assertRaises(ValidationError) as raised:
            client().customers.create(name=unique("Bad"), segment="galactic")

        self.assertEqual(raised.exception.code, "VALIDATION_ERROR")
        self.assertIn("segment", [d["field"] for d in raised.exception.details])

    def test_a_step_the_state_forbids_raises_invalid_state_transition(self) -> None:
        mantis = client()
        customer = mantis.customers.create(name=unique("Shipper"), segment="smb")
        product = mantis.products.create(sku=unique("SHIP").replace(" ", "-"), name="Box", price=3)
        order = mantis.orders.create(
            customer_id=customer.id, items=[{"product_id": product.id, "quantity": 1}]
        )

        with self.assertRaises(InvalidStateTransitionError) as raised:
            mantis.orders.ship(order.id, carrier="UPS")
        error = raised.exception
        self.assertEqual((error.status, error.code), (409, "INVALID_STATE_TRANSITION"))

    def test_an_unknown_key_raises_authentication_error_and_is_not_retried(self) -> None:
        retries: list[RetryInfo] = []
        mantis = client(api_key="mnx_not_a_key", on_retry=retries.append)

        with self.assertRaises(AuthenticationError) as raised:
            mantis.customers.list()
        self.assertEqual(raised.exception.status, 401)
        self.assertEqual(retries, [])

    def test_an_unreachable_gateway_raises_a_connection_error_after_its_retries(self) -> None:
        retries: list[RetryInfo] = []
        # Port 9 (discard) is closed on test machines: the connection is refused at once.
        mantis = client(
            base_url="http://127.0.0.1:9", on_retry=retries.append, sleep=lambda s: None
        )

        with self.assertRaises(APIConnectionError) as raised:
            mantis.customers.list()
        self.assertIsInstance(raised.exception, MantisError)
        self.assertIsNone(raised.exception.status)
        self.assertEqual(len(retries), 3)


if __name__ == "__main__":
    unittest.main()
