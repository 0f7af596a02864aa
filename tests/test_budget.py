"""One store, one budget: limiters shared by clients, learning from refusals, bounded waits.

Unit tests run on a FakeClock and mocked transports; the scenarios against the fake store run
in-process (httpx.ASGITransport) with the store's windows shrunk ten times and the client's
clock sped up to match (``ScaledClock``), so a "minute" lasts six real seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

import httpx
import pytest

from benchmarks._common import ScaledClock
from jumpseller_async import (
    ConfigurationError,
    JumpsellerClient,
    RateLimiter,
    RateLimitError,
    RateLimitWaitError,
)
from jumpseller_async.api.products import get_products_id_json, get_products_json
from jumpseller_async.testing import FakeClock, FakeJumpseller

TOKEN = "secret-token-abcdef0123456789"


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"product": {"id": 5}})


# --- one budget per store in a process -------------------------------------------------------


async def test_clients_of_one_store_share_a_limiter_and_closing_keeps_the_budget() -> None:
    clock = FakeClock()
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        return ok(request)

    def client(login: str = "store") -> JumpsellerClient:
        return JumpsellerClient(login, TOKEN, transport=httpx.MockTransport(handler), clock=clock)

    async with client() as first:
        for _ in range(8):
            await clock.run(get_products_id_json.asyncio(5, client=first))
        limiter = first.limiter
    async with client() as second:
        assert second.limiter is limiter
        await clock.run(get_products_id_json.asyncio(5, client=second))
        async with client("another-store") as other:
            assert other.limiter is not limiter
    assert sent[:8] == [0.0] * 8
    assert sent[8] == pytest.approx(1.0)  # the 1 s window still held the first client's 8


async def test_rate_limit_key_names_the_store_for_oauth_style_credentials() -> None:
    clock = FakeClock()
    transport = httpx.MockTransport(ok)
    a = JumpsellerClient("x", TOKEN, transport=transport, clock=clock, rate_limit_key="shop-1")
    b = JumpsellerClient("y", TOKEN, transport=transport, clock=clock, rate_limit_key="shop-1")
    assert a.limiter is b.limiter and a.rate_limit_key == "shop-1"
    with pytest.raises(ConfigurationError, match="rate_limit_key"):
        JumpsellerClient("x", TOKEN, rate_limit_key="")
    await a.aclose()
    await b.aclose()


async def test_the_stricter_explicit_limits_hold_for_every_client_of_the_store() -> None:
    clock = FakeClock()
    transport = httpx.MockTransport(ok)
    loose = JumpsellerClient("s", TOKEN, transport=transport, clock=clock)
    strict = JumpsellerClient("s", TOKEN, transport=transport, clock=clock, rate_limits=[(2, 1.0)])
    assert strict.limiter is loose.limiter
    assert dict((w, n) for n, w in loose.limiter.limits)[1.0] == 2
    await loose.aclose()
    await strict.aclose()


async def test_a_client_per_call_is_as_safe_as_one_client() -> None:
    # 120 concurrent calls, each on a new client: the store's 8/s and 240/min hold.
    fake = FakeJumpseller(seed=2, products=130, limits=[(8, 1.0), (240, 60.0)], time_scale=0.1)
    ids = list(fake.store.products.ids)[:120]
    clock = ScaledClock(0.1)
    transport = httpx.ASGITransport(app=fake)

    async def call(product_id: int) -> int:
        async with JumpsellerClient(
            fake.login, fake.authtoken, base_url="http://fake/v1", transport=transport, clock=clock
        ) as client:
            product = await get_products_id_json.asyncio(product_id, client=client)
            assert product is not None and product.product is not None
            return int(product.product.id)  # type: ignore[arg-type]

    got = await asyncio.gather(*(call(i) for i in ids))
    assert got == ids
    assert fake.stats.rejections == 0
    assert fake.stats.max_in_window(1.0) <= 8


# --- learning from refusals ------------------------------------------------------------------


async def test_limits_believed_twice_too_high_with_header_less_403s() -> None:
    fake = FakeJumpseller(
        seed=4,
        products=500,
        limits=[(8, 1.0), (240, 60.0)],
        reject_status=403,
        limit_headers=False,
        ban_after=None,
        time_scale=0.1,
    )
    clock = ScaledClock(0.1)
    async with JumpsellerClient(
        fake.login,
        fake.authtoken,
        base_url="http://fake/v1",
        transport=httpx.ASGITransport(app=fake),
        clock=clock,
        rate_limits=[(16, 1.0), (480, 60.0)],
        max_retries=6,
    ) as client:
        pages = 0
        # Small pages: in-process, a 100-item page costs the CPU more than a scaled second.
        async for page in client.paginate(get_products_json, limit=5).pages():
            pages += 1
            assert len(page) == 5
    # How close to the optimal schedule this runs is measured by `make bench` (BENCHMARKS.md).
    assert pages == 100
    assert fake.stats.rejections <= 5
    if fake.stats.rejections:  # a slow machine may never reach the real limit
        assert client.limiter.stats.lowered >= 1
        assert dict((w, n) for n, w in client.limiter.limits)[1.0] == 8


async def test_a_header_less_refusal_lowers_the_window_then_creeps_back_up() -> None:
    clock = FakeClock()
    limiter = RateLimiter([(10, 1.0)], explicit=True, clock=clock, learn=True)

    async def one(refused: bool) -> None:
        async with limiter.slot() as slot:
            await slot.feedback({}, refused=refused)

    for _ in range(4):
        await clock.run(one(False))
    await clock.run(one(True))  # the 5th in a second was refused: the store allows 4
    assert limiter.limits == ((4, 1.0),)
    assert limiter.stats.lowered == 1
    clock.advance(61.0)
    await clock.run(one(False))  # one probe later, one more
    assert limiter.limits == ((5, 1.0),)


async def test_refusals_are_warned_about_but_not_once_per_refusal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="jumpseller_async")
    clock = FakeClock()
    limiter = RateLimiter([(100, 1.0)], explicit=True, clock=clock, learn=False)

    async def refused() -> None:
        async with limiter.slot() as slot:
            await slot.feedback({"Jumpseller-PerSecondRateLimit-Remaining": "0"}, refused=True)

    for _ in range(50):
        await clock.run(refused())
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    # Two kinds of notice, each at most once per 10 s of (virtual) time, counting the rest.
    assert 2 <= len(warnings) <= 2 * (clock.monotonic() // 10 + 1) < 50
    assert any("similar messages held back" in r.getMessage() for r in warnings)


# --- bounded waits, server-imposed waits, deadlines --------------------------------------------


async def test_max_wait_fails_fast_and_sends_nothing() -> None:
    clock = FakeClock()
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return ok(request)

    async with JumpsellerClient(
        "mw",
        TOKEN,
        transport=httpx.MockTransport(handler),
        clock=clock,
        rate_limits=[(2, 1.0)],
        max_wait=0.25,
    ) as client:
        await clock.run(get_products_id_json.asyncio(5, client=client))
        await clock.run(get_products_id_json.asyncio(5, client=client))
        with pytest.raises(RateLimitWaitError) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(sent) == 2
    assert isinstance(info.value, RateLimitError) and "nothing was sent" in str(info.value)


@pytest.mark.parametrize("value", ["86400", "1e9", "inf", "Fri, 31 Dec 9999 23:59:59 GMT"])
async def test_huge_retry_after_raises_with_the_servers_wait(value: str) -> None:
    clock = FakeClock()
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        if len(sent) == 1:
            return httpx.Response(429, headers={"Retry-After": value})
        return ok(request)

    async with JumpsellerClient(
        "ra", TOKEN, transport=httpx.MockTransport(handler), clock=clock, rate_limits=None
    ) as client:
        with pytest.raises(RateLimitError) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
        assert info.value.retry_after is not None and info.value.retry_after > 60
        assert clock.monotonic() == 0.0  # raised at once
        await clock.run(get_products_id_json.asyncio(5, client=client))
    assert sent[1] <= 60.0  # the store was never paused past the cap


def test_clock_and_limiter_must_agree() -> None:
    limiter = RateLimiter(clock=FakeClock())
    client = JumpsellerClient("c", TOKEN, limiter=limiter)
    assert client.limiter.clock is limiter.clock
    with pytest.raises(ConfigurationError, match="clock"):
        JumpsellerClient("c", TOKEN, limiter=limiter, clock=FakeClock())


async def test_a_ban_with_a_given_limiter_is_timed_on_its_clock() -> None:
    clock = FakeClock()
    sent: list[float] = []
    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5)
    ban = {"Jumpseller-BannedByRateLimit-Reset": until.replace(microsecond=0).isoformat()}

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        return httpx.Response(429, headers=ban) if len(sent) == 1 else ok(request)

    async with JumpsellerClient(
        "ban", TOKEN, transport=httpx.MockTransport(handler), limiter=RateLimiter(clock=clock)
    ) as client:
        await clock.run(get_products_id_json.asyncio(5, client=client))
    assert 3.0 <= sent[1] <= 6.0


def test_an_absurd_advertised_limit_is_clamped_and_costs_nothing() -> None:
    limiter = RateLimiter(clock=FakeClock())
    limiter.observe(
        {
            "Jumpseller-PerSecondRateLimit-Limit": "1000000000",
            "Jumpseller-PerSecondRateLimit-Remaining": "0",
        }
    )
    assert dict((w, n) for n, w in limiter.limits)[1.0] == 10_000
    assert limiter.backend.tracked <= 2  # placeholders are counted blocks, not entries


async def test_total_timeout_bounds_retries_and_waits() -> None:
    clock = FakeClock()
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        return httpx.Response(503)

    from jumpseller_async import APITimeoutError, ServerError

    async with JumpsellerClient(
        "tt",
        TOKEN,
        transport=httpx.MockTransport(handler),
        clock=clock,
        rate_limits=None,
        max_retries=10,
        total_timeout=2.0,
    ) as client:
        with pytest.raises((APITimeoutError, ServerError)):
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert clock.monotonic() <= 2.0 and len(sent) < 10


async def test_each_attempt_has_a_total_deadline_against_a_trickling_server() -> None:
    from jumpseller_async import APITimeoutError

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        try:
            for _ in range(300):
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.05)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with JumpsellerClient(
            "slow",
            TOKEN,
            base_url=f"http://127.0.0.1:{port}/v1",
            timeout=0.5,
            max_retries=0,
            rate_limits=None,
        ) as client:
            started = time.monotonic()
            with pytest.raises(APITimeoutError):
                await get_products_id_json.asyncio(5, client=client)
            assert time.monotonic() - started < 2.0
    finally:
        server.close()
        await server.wait_closed()


async def test_twice_too_high_on_virtual_time_costs_few_refusals_and_little_time() -> None:
    # A strict store (8/s and 240/min, sliding, stamped on arrival, 50 ms each way) that
    # refuses with a bare 403, on a FakeClock: the schedule is deterministic.
    from benchmarks._common import greedy_schedule

    clock = FakeClock()
    stamps: list[float] = []
    refusals = 0

    async def store(request: httpx.Request) -> httpx.Response:
        nonlocal refusals
        await clock.sleep(0.05)
        now = clock.monotonic()
        full = any(sum(1 for t in stamps if t > now - w) >= n for n, w in ((8, 1.0), (240, 60.0)))
        await clock.sleep(0.05)
        if full:
            refusals += 1
            return httpx.Response(403, json={"message": "Rate Limit Exceeded"})
        stamps.append(now)
        if request.url.path.endswith("count.json"):
            return httpx.Response(200, json={"count": 500})
        page = int(request.url.params["page"])
        items = [{"product": {"id": i}} for i in range((page - 1) * 5 + 1, page * 5 + 1)]
        return httpx.Response(200, json=items if page <= 100 else [])

    async def export() -> int:
        async with JumpsellerClient(
            "twice",
            TOKEN,
            transport=httpx.MockTransport(store),
            clock=clock,
            rate_limits=[(16, 1.0), (480, 60.0)],
            max_retries=6,
        ) as client:
            return sum([1 async for _ in client.paginate(get_products_json, limit=5)])

    assert await clock.run(export()) == 500
    optimal = greedy_schedule(len(stamps), [(8, 1.0), (240, 60.0)])[-1] + 0.1
    assert refusals <= 5
    assert optimal / clock.monotonic() >= 0.8, (refusals, clock.monotonic(), optimal)


async def test_a_ban_given_to_the_second_lasts_to_the_end_of_that_second() -> None:
    # The header names the second the ban ends in; it may end anywhere within it. Coming back
    # at its start was refused again (another ban, and a refusal taken for a lower window).
    clock = FakeClock()
    sent: list[float] = []
    now = dt.datetime.now(dt.timezone.utc)
    ban = {"Jumpseller-BannedByRateLimit-Reset": now.replace(microsecond=0).isoformat()}

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        return httpx.Response(403, headers=ban, json={"message": "Rate Limit Exceeded"})

    async with JumpsellerClient(
        "ban2", TOKEN, transport=httpx.MockTransport(handler), clock=clock, max_retries=0
    ) as client:
        with pytest.raises(RateLimitError):
            await clock.run(get_products_id_json.asyncio(5, client=client))
        left = client.limiter.paused_for()
    elapsed = (dt.datetime.now(dt.timezone.utc) - now).total_seconds()
    assert 0.0 < left <= 1.0 - elapsed + 0.01


# --- uncoordinated processes (no Redis) ------------------------------------------------------


def _strict_store_with_headers(
    clock: FakeClock, refused: list[str], stamps: list[float] | None = None
) -> httpx.MockTransport:
    """8/s and 240/min, sliding, stamped on arrival, 50 ms each way, live-API headers."""
    stamps = [] if stamps is None else stamps
    windows = ((8, 1.0, "PerSecond"), (240, 60.0, "PerMinute"))

    async def store(request: httpx.Request) -> httpx.Response:
        await clock.sleep(0.05)
        now = clock.monotonic()
        used = [sum(1 for t in stamps if t > now - w) for _, w, _ in windows]
        full = any(u >= n for u, (n, _, _) in zip(used, windows, strict=True))
        if not full:
            stamps.append(now)
        headers = {}
        for u, (n, _, name) in zip(used, windows, strict=True):
            headers[f"Jumpseller-{name}RateLimit-Limit"] = str(n)
            headers[f"Jumpseller-{name}RateLimit-Remaining"] = str(max(0, n - u - (not full)))
        await clock.sleep(0.05)
        if full:
            refused.append(request.headers["authorization"])
            return httpx.Response(429, json={"message": "Rate Limit Exceeded"}, headers=headers)
        if request.url.path.endswith("count.json"):
            return httpx.Response(200, json={"count": 300}, headers=headers)
        page = int(request.url.params["page"])
        items = [{"product": {"id": i}} for i in range((page - 1) * 10 + 1, page * 10 + 1)]
        return httpx.Response(200, json=items if page <= 30 else [], headers=headers)

    return httpx.MockTransport(store)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("processes", [2, 3, 4])
async def test_uncoordinated_processes_starting_together_split_the_store(
    processes: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each client stands for a process of its own (its own limiter: distinct keys), all
    # exporting one store at once: each one's first request alone, then shares sized from
    # what the headers say the others spent, so the first second is not a herd. The
    # limiters' jitter is seeded: the same schedule every run, four of them per size.
    import random
    import types

    from jumpseller_async import _ratelimit

    seeds = iter(range(seed * 100, seed * 100 + 100))
    seeded = types.SimpleNamespace(Random=lambda: random.Random(next(seeds)))
    monkeypatch.setattr(_ratelimit, "random", seeded)
    clock = FakeClock()
    refused: list[str] = []
    transport = _strict_store_with_headers(clock, refused)
    requests = 0

    async def export(index: int) -> int:
        nonlocal requests
        async with JumpsellerClient(
            "proc",
            TOKEN,
            transport=transport,
            clock=clock,
            rate_limit_key=f"process-{index}",
            max_retries=6,
        ) as client:
            pages = client.paginate(get_products_json, limit=10)
            items = sum([1 async for _ in pages])
            requests += pages.requests
            return items

    async def fleet() -> list[int]:
        return await asyncio.gather(*(export(i) for i in range(processes)))

    assert await clock.run(fleet()) == [300] * processes
    assert len(refused) <= 0.10 * (requests + len(refused)), (len(refused), requests)


async def test_a_lone_process_scouts_for_a_few_round_trips_only() -> None:
    # Nobody else counts: 1, 1, 2, 4 requests per round trip, then the whole limit, so the
    # first second still holds 8 requests (here, within its first 0.4 s).
    clock = FakeClock()
    refused: list[str] = []
    stamps: list[float] = []
    transport = _strict_store_with_headers(clock, refused, stamps)

    async def export() -> int:
        async with JumpsellerClient("alone", TOKEN, transport=transport, clock=clock) as client:
            return sum([1 async for _ in client.paginate(get_products_json, limit=10)])

    assert await clock.run(export()) == 300
    assert refused == []
    first_second = [t for t in stamps if t < 1.0]
    assert len(first_second) == 8
    assert max(first_second) <= 0.4, stamps[:8]


def test_a_paced_share_spaces_our_requests_across_the_window() -> None:
    from jumpseller_async._windows import MemoryWindowBackend

    backend = MemoryWindowBackend()
    backend.set_limits([(8, 1.0), (240, 60.0)])
    backend.set_share(1.0, 4, paced=True)
    first = backend.reserve(0.0)
    assert first.handle is not None
    assert backend.reserve(0.1).wait == pytest.approx(0.15)  # 1 s / 4 after the first
    assert backend.reserve(0.25).handle is not None
    # Growth and cuts keep the pacing; lifting the share ends it.
    backend.set_share(1.0, 5)
    assert backend.reserve(0.3).wait == pytest.approx(0.15)  # 1 s / 5 after the second
    backend.set_share(1.0, None)
    assert backend.reserve(0.3).handle is not None
