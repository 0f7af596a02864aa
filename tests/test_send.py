"""``_send``: sending one operation: bans, attempt deadlines, limiter slots, the attempt log line."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import httpx
import pytest

from jumpseller_async import APIConnectionError, APITimeoutError, RateLimiter, RateLimitError
from jumpseller_async.api.orders import post_orders_json
from jumpseller_async.api.products import get_products_id_json, put_products_id_json
from jumpseller_async.models import ProductEdit
from jumpseller_async.testing import FakeClock
from tests._faultclients import bounded, mock_client, order_body, product_answer, socket_client
from tests._faultservers import Answer, FaultServer, Late, Seen, Trickle
from tests._scripted import Script, ban_header, make, ok_product

# --- bans -----------------------------------------------------------------------------------------


async def test_short_ban_pauses_every_request_until_the_reset() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(429, headers=ban_header(30)), ok_product())
    async with make(clock, script, max_ban_wait=60) as client:
        await clock.run(get_products_id_json.asyncio(5, client=client))
        (t0, _), (t1, _) = script.sent
        assert 28 <= t1 - t0 <= 31


async def test_long_ban_raises_with_reset_time_and_sends_nothing_more() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(429, headers=ban_header(3600)))
    async with make(clock, script, max_ban_wait=60) as client:
        with pytest.raises(RateLimitError) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
        assert info.value.banned_until is not None
        assert info.value.banned_until > dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=50)
        sent = len(script.sent)
        with pytest.raises(RateLimitError, match="nothing was sent"):
            await clock.run(put_products_id_json.asyncio(5, client=client, body=ProductEdit()))
        assert len(script.sent) == sent == 1


# --- the attempt's log line -----------------------------------------------------------------------


async def test_logs_method_redacted_url_status_duration(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="jumpseller_async")
    clock = FakeClock()
    script = Script(clock, httpx.Response(503), ok_product())
    async with make(clock, script) as client:
        await clock.run(get_products_id_json.asyncio(5, client=client))
    messages = [r.getMessage() for r in caplog.records if r.name == "jumpseller_async"]
    assert any(
        "GET https://api.jumpseller.com/v1/products/5.json -> 200 in" in m and "attempt 2" in m
        for m in messages
    )
    assert any("HTTP 503; retrying" in m for m in messages)


# --- an answer that cannot be read ----------------------------------------------------------------


async def test_undecodable_answer_is_wrapped_not_retried() -> None:
    clock = FakeClock()
    broken_gzip = httpx.Response(
        200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
    )
    script = Script(clock, broken_gzip)
    async with make(clock, script) as client:
        with pytest.raises(APIConnectionError, match="DecodingError"):
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 1


# --- deadlines and limiter slots on real sockets --------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_slow_server_times_out_typed(method: str) -> None:
    async with FaultServer(lambda seen, index: Late(3.0, product_answer())) as server:
        async with socket_client(server.base_url, timeout=0.2, max_retries=1) as client:
            call = (
                get_products_id_json.asyncio(5, client=client)
                if method == "GET"
                else post_orders_json.asyncio(client=client, body=order_body())
            )
            with pytest.raises(APITimeoutError):
                await bounded(call)
    # A GET is tried again; a POST that may have been processed is not.
    assert len(server.seen) == (2 if method == "GET" else 1)


@pytest.mark.integration
async def test_cancelling_half_of_50_calls_leaks_no_limiter_slot() -> None:
    release = asyncio.Event()

    async def script(seen: Seen, index: int) -> Answer:
        await release.wait()
        return product_answer()

    async with FaultServer(script) as server:
        # 50 in flight at once, and more limiter room than that so every call is admitted (limits
        # trusted, not probed: this server sends no rate-limit headers to confirm them).
        limiter = RateLimiter([(100, 1.0), (1000, 60.0)], explicit=True)
        client = socket_client(server.base_url, limiter=limiter, clock=limiter.clock)
        async with client:
            tasks = [
                asyncio.create_task(get_products_id_json.asyncio(i, client=client))
                for i in range(1, 51)
            ]
            while len(server.seen) < 50:
                await asyncio.sleep(0.01)
            assert client.limiter.backend.in_flight == 50  # type: ignore[attr-defined]
            for task in tasks[::2]:
                task.cancel()
            await asyncio.sleep(0.05)
            release.set()
            results = await bounded(asyncio.gather(*tasks, return_exceptions=True))
            cancelled = [r for r in results if isinstance(r, asyncio.CancelledError)]
            done = [r for r in results if not isinstance(r, BaseException)]
            assert (len(cancelled), len(done)) == (25, 25)
            # Every slot came back: nothing in flight, and the limiter still admits at once.
            assert client.limiter.backend.in_flight == 0  # type: ignore[attr-defined]
            again = await bounded(get_products_id_json.asyncio(7, client=client))
            assert again.product.id == 5
            assert client.limiter.backend.in_flight == 0  # type: ignore[attr-defined]


# --- a ban longer than the cap --------------------------------------------------------------------


async def test_ban_far_in_the_future_raises_and_sends_nothing_more() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            429,
            json={"message": "Rate Limit Exceeded"},
            headers={"Jumpseller-BannedByRateLimit-Reset": "9999-12-31T23:59:59+00:00"},
        )

    clock = FakeClock()
    async with mock_client(handler, clock=clock) as client:
        for _ in range(2):
            with pytest.raises(RateLimitError) as info:
                await clock.run(get_products_id_json.asyncio(5, client=client))
            assert info.value.banned_until is not None
            assert info.value.banned_until.year == 9999
    assert len(sent) == 1


# --- a trickling server ---------------------------------------------------------------------------


@pytest.mark.integration
async def test_a_trickling_server_cannot_stretch_an_attempt_past_its_timeout() -> None:
    # One byte every 0.1 s: each read is quick, so only a deadline on the whole attempt ends it.
    async with FaultServer(lambda seen, index: Trickle(interval=0.1)) as server:
        async with socket_client(server.base_url, timeout=0.5, max_retries=0) as client:
            with pytest.raises(APITimeoutError):
                await bounded(get_products_id_json.asyncio(5, client=client), 5.0)
    assert len(server.seen) == 1
