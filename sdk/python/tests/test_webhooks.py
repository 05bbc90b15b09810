"""A real webhook delivery of the gateway checked with verify_webhook: accepted as sent,
refused when tampered with, signed with another secret, or too old."""

import base64
import unittest

from mantisnxt import WebhookVerificationError, verify_mantis_signature, verify_webhook
from mantisnxt.types import CreateWebhookRequest

from .support import Delivery, Receiver, client, unique


class WebhookVerificationTest(unittest.TestCase):
    secret: str
    delivery: Delivery

    @classmethod
    def setUpClass(cls) -> None:
        # The gateway must be allowed to reach 127.0.0.1 (WEBHOOK_ALLOW_PRIVATE=true).
        cls.receiver = Receiver()
        mantis = client()
        endpoint = mantis.webhooks.create(
            CreateWebhookRequest(url=cls.receiver.url, events=["customer.created"])
        )
        cls.secret = endpoint.secret
        customer = mantis.customers.create(name=unique("Hooked"), segment="smb")
        cls.delivery = cls.receiver.delivery_about(customer.id)
        mantis.webhooks.delete(endpoint.id)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.receiver.close()

    def test_a_real_delivery_verifies_and_gives_back_its_event(self) -> None:
        event = verify_webhook(self.delivery.raw, self.delivery.headers, self.secret)

        self.assertTrue(self.secret.startswith("whsec_"))
        self.assertEqual(event.type, "customer.created")
        self.assertEqual(event.organization_id, client().organization_id)
        self.assertEqual(event.id, self.delivery.headers["webhook-id"])
        signature = self.delivery.headers["x-mantis-signature"]
        self.assertTrue(verify_mantis_signature(self.delivery.raw, signature, self.secret))

    def test_a_body_changed_after_signing_is_refused(self) -> None:
        tampered = self.delivery.raw.replace(b'"Hooked ', b'"Hijacked ')

        self.assertNotEqual(tampered, self.delivery.raw)
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(tampered, self.delivery.headers, self.secret)
        signature = self.delivery.headers["x-mantis-signature"]
        self.assertFalse(verify_mantis_signature(tampered, signature, self.secret))

    def test_another_secret_is_refused_and_either_secret_of_a_rotation_is_enough(self) -> None:
        other = "whsec_" + base64.b64encode(bytes(32)).decode()

        with self.assertRaises(WebhookVerificationError):
            verify_webhook(self.delivery.raw, self.delivery.headers, other)
        event = verify_webhook(self.delivery.raw, self.delivery.headers, [other, self.secret])
        self.assertEqual(event.type, "customer.created")

    def test_a_delivery_older_than_the_tolerance_is_refused_though_signed_right(self) -> None:
        later = int(self.delivery.headers["webhook-timestamp"]) + 600

        with self.assertRaisesRegex(WebhookVerificationError, "tolerance"):
            verify_webhook(self.delivery.raw, self.delivery.headers, self.secret, now=later)
        event = verify_webhook(
            self.delivery.raw, self.delivery.headers, self.secret, now=later, tolerance=900
        )
        self.assertEqual(event.type, "customer.created")


if __name__ == "__main__":
    unittest.main()
