"""``_retry``: which failures are sent again and after how long (methods, statuses, timeouts,
``Retry-After``, ban headers), on scripted answers and on real sockets that fail."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from jumpseller_async import (
    APIConnectionError,
    APITimeoutError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from jumpseller_async.api.orders import post_orders_json
from jumpseller_async.api.products import get_products_id_json
from jumpseller_async.models import OrderCreate, OrderCreateFields
from jumpseller_async.testing import FakeClock
from tests._faultclients import (
    NoWaitClock,
    bounded,
    mock_client,
    order_body,
    product_answer,
    socket_client,
)
from tests._faultservers import Cut, FaultServer, Reset, Seen
from tests._scripted import Script, make, ok_product

# --- statuses, methods, timeouts ------------------------------------------------------------------


async def test_get_is_retried_on_503_with_backoff_then_succeeds() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(503), httpx.Response(502), ok_product())
    async with make(clock, script) as client:
        product = await clock.run(get_products_id_json.asyncio(5, client=client))
    assert product.product.id == 5
    times = [t for t, _ in script.sent]
    assert len(times) == 3
    assert 0.25 <= times[1] - times[0] <= 0.5 and 0.5 <= times[2] - times[1] <= 1.0


async def test_get_gives_up_after_max_retries_with_server_error() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(503, text="<html>down</html>"))
    async with make(clock, script, max_retries=2) as client:
        with pytest.raises(ServerError) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 3
    assert info.value.status_code == 503 and "products.getProductsIdJson" in str(info.value)


async def test_post_is_never_resent_after_a_503_or_a_read_error() -> None:
    clock = FakeClock()
    body = OrderCreate(order=OrderCreateFields(status="Paid"))
    for answer in (httpx.Response(503), httpx.ReadError("connection reset")):
        script = Script(clock, answer, httpx.Response(200, json={"order": {"id": 1}}))
        async with make(clock, script) as client:
            with pytest.raises((ServerError, APIConnectionError)):
                await clock.run(post_orders_json.asyncio(client=client, body=body))
        assert len(script.sent) == 1, answer


async def test_post_is_resent_when_the_connection_never_opened() -> None:
    clock = FakeClock()
    script = Script(
        clock, httpx.ConnectError("refused"), httpx.Response(201, json={"order": {"id": 1}})
    )
    async with make(clock, script) as client:
        order = await clock.run(post_orders_json.asyncio(client=client, body=OrderCreate()))
    assert order.order.id == 1 and len(script.sent) == 2


async def test_post_resend_is_opt_in() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(503), httpx.Response(200, json={"order": {"id": 1}}))
    async with make(clock, script, retry_post=True) as client:
        await clock.run(post_orders_json.asyncio(client=client, body=OrderCreate()))
    assert len(script.sent) == 2


async def test_timeouts_are_retried_for_get_then_wrapped() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.ReadTimeout("slow"))
    async with make(clock, script, max_retries=1) as client:
        with pytest.raises(APITimeoutError) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 2
    assert isinstance(info.value, APIConnectionError) and info.value.method == "GET"


# --- rate-limit answers ---------------------------------------------------------------------------


async def test_429_is_retried_for_post_honouring_retry_after() -> None:
    clock = FakeClock()
    script = Script(
        clock,
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(200, json={"order": {"id": 1}}),
    )
    async with make(clock, script) as client:
        await clock.run(post_orders_json.asyncio(client=client, body=OrderCreate()))
    (t0, _), (t1, _) = script.sent
    assert t1 - t0 >= 2.0


async def test_403_rate_limit_exceeded_is_retried_but_403_permission_is_not() -> None:
    clock = FakeClock()
    script = Script(
        clock, httpx.Response(403, json={"message": "Rate Limit Exceeded"}), ok_product()
    )
    async with make(clock, script) as client:
        await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 2

    script = Script(
        clock, httpx.Response(403, json={"message": "Forbidden: missing scope read_products"})
    )
    async with make(clock, script) as client:
        with pytest.raises(PermissionDeniedError, match="missing scope"):
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 1


async def test_rate_limit_exhausted_raises_rate_limit_error() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(429, headers={"Retry-After": "1"}))
    async with make(clock, script, max_retries=2) as client:
        with pytest.raises(RateLimitError):
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 3


# --- connection faults on real sockets ------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("fault", [Reset(), Cut()], ids=["reset", "cut-mid-body"])
async def test_get_is_retried_through_socket_faults(fault: Reset | Cut) -> None:
    def script(seen: Seen, index: int) -> Any:
        return fault if index < 2 else product_answer()

    async with FaultServer(script) as server, socket_client(server.base_url) as client:
        product = await bounded(get_products_id_json.asyncio(5, client=client))
    assert product.product.id == 5
    assert len(server.seen) == 3


@pytest.mark.integration
@pytest.mark.parametrize("fault", [Reset(), Cut()], ids=["reset", "cut-mid-body"])
async def test_get_gives_up_with_a_typed_error(fault: Reset | Cut) -> None:
    async with FaultServer(lambda seen, index: fault) as server:
        async with socket_client(server.base_url, max_retries=2) as client:
            with pytest.raises(APIConnectionError) as info:
                await bounded(get_products_id_json.asyncio(5, client=client))
    assert len(server.seen) == 3
    assert "after 2 retries" in str(info.value)
    assert info.value.method == "GET"


@pytest.mark.integration
@pytest.mark.parametrize("fault", [Reset(), Cut()], ids=["reset", "cut-mid-body"])
async def test_post_that_reached_the_server_is_sent_once(fault: Reset | Cut) -> None:
    async with FaultServer(lambda seen, index: fault) as server:
        async with socket_client(server.base_url) as client:
            with pytest.raises(APIConnectionError):
                await bounded(post_orders_json.asyncio(client=client, body=order_body()))
    assert [seen.method for seen in server.seen] == ["POST"]


@pytest.mark.integration
async def test_connection_refused_is_typed_and_retried_even_for_post() -> None:
    async with FaultServer(lambda seen, index: product_answer()) as server:
        base_url = server.base_url
    # The server is gone: nothing listens on that port any more.
    clock = NoWaitClock()
    async with socket_client(base_url, max_retries=2, clock=clock) as client:
        with pytest.raises(APIConnectionError) as info:
            await bounded(post_orders_json.asyncio(client=client, body=order_body()))
    # A connection that never opened cannot have delivered the POST: retried.
    assert len(clock.slept) == 2
    assert "ConnectError" in str(info.value)


# --- ban headers ----------------------------------------------------------------------------------


GARBAGE_BAN = [
    "garbage",
    "",
    "0000-00-00T00:00:00",
    "2024-13-45T99:99:99+00:00",
    "1" * 10_000,
    "\x00\x01",
    "1970-01-01T00:00:00+00:00",  # a ban that ended long ago
]


@pytest.mark.parametrize("value", GARBAGE_BAN, ids=range(len(GARBAGE_BAN)))
async def test_garbage_ban_header_is_ignored_and_429_retried(value: str) -> None:
    answers = iter(
        [
            httpx.Response(
                429,
                json={"message": "Rate Limit Exceeded"},
                headers={"Jumpseller-BannedByRateLimit-Reset": value},
            ),
            httpx.Response(200, json={"product": {"id": 5}}),
        ]
    )
    async with mock_client(lambda r: next(answers)) as client:
        product = await get_products_id_json.asyncio(5, client=client)
    assert product.product.id == 5


# --- Retry-After ----------------------------------------------------------------------------------


HUGE_RETRY_AFTER = ["86400", "1e9", "inf", "1" * 5000, "Fri, 31 Dec 9999 23:59:59 GMT"]


@pytest.mark.parametrize("value", HUGE_RETRY_AFTER, ids=range(len(HUGE_RETRY_AFTER)))
async def test_huge_retry_after_is_a_typed_error_and_blocks_the_store_at_most_the_cap(
    value: str,
) -> None:
    answers = [
        httpx.Response(429, json={"message": "Rate Limit Exceeded"}, headers={"Retry-After": value})
    ]
    sent: list[float] = []
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        return answers.pop(0) if answers else httpx.Response(200, json={"product": {"id": 5}})

    async with mock_client(handler, clock=clock, rate_limits=[(8, 1.0)]) as client:
        with pytest.raises(RateLimitError) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
        assert info.value.retry_after is not None and info.value.retry_after > 60
        assert len(sent) == 1  # not slept through, not retried
        product = await clock.run(get_products_id_json.asyncio(5, client=client))
    assert product.product.id == 5
    assert sent[1] - sent[0] <= 60.0 + 1.0  # max_retry_after, not the server's wait


GARBAGE_RETRY_AFTER = ["soon", "", "-5", "nan", "Mon, 99 Foo 2024", "\x00"]


@pytest.mark.parametrize("value", GARBAGE_RETRY_AFTER, ids=range(len(GARBAGE_RETRY_AFTER)))
async def test_garbage_retry_after_is_ignored_and_the_call_retried(value: str) -> None:
    answers = iter(
        [
            httpx.Response(
                429, json={"message": "Rate Limit Exceeded"}, headers={"Retry-After": value}
            ),
            httpx.Response(200, json={"product": {"id": 5}}),
        ]
    )
    clock = FakeClock()
    async with mock_client(lambda r: next(answers), clock=clock) as client:
        product = await clock.run(get_products_id_json.asyncio(5, client=client))
    assert product.product.id == 5
