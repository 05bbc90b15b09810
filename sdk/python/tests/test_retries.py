"""Retries against a running gateway: 429s waited out for their Retry-After, 5xx answers
retried, a create whose answer was lost retried into one record under one Idempotency-Key."""

import unittest

from mantisnxt import RateLimitedError, RetryInfo, ServerError

from .support import Fault, FaultProxy, Seen, client, unique


def new_key(rate_limit_per_hour: int) -> tuple[str, str]:
    """A new API key of the organization with its own hourly quota: (id, key)."""
    created = client().api_keys.create(
        name=unique("python sdk"), rate_limit_per_hour=rate_limit_per_hour
    )
    return created.id, created.key


class RateLimitTest(unittest.TestCase):
    def test_a_429_is_retried_after_its_retry_after_and_succeeds_once_quota_allows(self) -> None:
        key_id, key = new_key(2)
        retries: list[RetryInfo] = []

        def raise_quota_instead_of_waiting(_seconds: float) -> None:
            # The wait is an hour; the owner raising the key's quota stands in for it.
            client().api_keys.update(key_id, rate_limit_per_hour=1000)

        mantis = client(
            api_key=key,
            max_retry_delay=7200,
            on_retry=retries.append,
            sleep=raise_quota_instead_of_waiting,
        )
        mantis.customers.list(limit=1)
        mantis.customers.list(limit=1)
        page = mantis.customers.list(limit=1)

        self.assertEqual(len(page.data), 1)
        self.assertEqual(len(retries), 1)
        self.assertIsInstance(retries[0].error, RateLimitedError)
        self.assertGreater(retries[0].error.retry_after, 0)
        self.assertGreaterEqual(retries[0].delay, retries[0].error.retry_after)

    def test_a_retry_after_beyond_the_clients_ceiling_is_raised_at_once(self) -> None:
        _, key = new_key(1)
        waits: list[float] = []
        mantis = client(api_key=key, sleep=waits.append)
        mantis.customers.list(limit=1)

        with self.assertRaises(RateLimitedError) as raised:
            mantis.customers.list(limit=1)
        self.assertEqual(raised.exception.code, "RATE_LIMITED")
        self.assertGreater(raised.exception.retry_after, 60)
        self.assertEqual(waits, [])


class FaultTest(unittest.TestCase):
    def setUp(self) -> None:
        self.proxy = FaultProxy(client().transport.base_url)
        self.addCleanup(self.proxy.close)

    def posts(self) -> list[Seen]:
        return [s for s in self.proxy.seen if s.method == "POST"]

    def test_a_create_whose_answer_is_lost_is_retried_under_one_key_into_one_record(self) -> None:
        name = unique("Lost answer")
        # The gateway creates the customer, but the client is told 503.
        self.proxy.fault = lambda seen: (
            Fault(503, {"retry-after": "0"}, forward=True) if len(self.posts()) == 1 else None
        )
        customer = client(base_url=self.proxy.url).customers.create(name=name, segment="smb")
        first, second = self.posts()
        matching = client().customers.list(name=name)

        self.assertEqual(len(self.posts()), 2)
        self.assertTrue(first.headers.get("idempotency-key"))
        self.assertEqual(second.headers["idempotency-key"], first.headers["idempotency-key"])
        self.assertEqual(second.upstream[1].get("idempotent-replayed"), "true")
        self.assertEqual([c.id for c in matching], [customer.id])

    def test_5xx_answers_without_retry_after_are_retried_with_backoff_until_success(self) -> None:
        self.proxy.fault = lambda seen: Fault(502) if len(self.proxy.seen) <= 2 else None
        retries: list[RetryInfo] = []
        mantis = client(base_url=self.proxy.url, on_retry=retries.append, sleep=lambda s: None)
        page = mantis.customers.list(limit=1)

        self.assertEqual(len(page.data), 1)
        self.assertEqual([r.attempt for r in retries], [1, 2])
        self.assertTrue(all(isinstance(r.error, ServerError) for r in retries))
        self.assertTrue(all(0 <= r.delay <= 8 for r in retries))

    def test_5xx_answers_raise_server_error_once_retries_run_out(self) -> None:
        self.proxy.fault = lambda seen: Fault(503)
        mantis = client(base_url=self.proxy.url, max_retries=2, sleep=lambda s: None)

        with self.assertRaises(ServerError) as raised:
            mantis.customers.list(limit=1)
        self.assertEqual(raised.exception.status, 503)
        self.assertEqual(len(self.proxy.seen), 3)

    def test_a_post_without_an_idempotency_key_is_not_repeated(self) -> None:
        self.proxy.fault = lambda seen: Fault(503, forward=True)
        mantis = client(base_url=self.proxy.url, sleep=lambda s: None)

        with self.assertRaises(ServerError):
            body = {"name": unique("Once"), "segment": "smb"}
            mantis.transport.request("POST", mantis.customers.path, body=body)
        self.assertEqual(len(self.posts()), 1)


if __name__ == "__main__":
    unittest.main()
