"""The Redis-shared limiter against a real redis-server (started by the tests on a free port).

Several ``RedisRateLimiter`` objects with one key stand for several processes: each has its own
queue, waiter id and connections, and they meet only in Redis. Windows are short (a few hundred
milliseconds) so that real time stays cheap; the multi-process tests are in
``test_multiprocess.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Sequence

import pytest

from jumpseller_async._clock import SYSTEM_CLOCK
from jumpseller_async._ratelimit import SlotWaitExceeded
from jumpseller_async._redis_limiter import RedisRateLimiter
from tests._redis import RedisServer, free_port

pytestmark = pytest.mark.integration

LIMITS = ((4, 0.3), (10, 1.5))


def make(url: str, key: str, limits: Sequence[tuple[int, float]] = LIMITS, **kwargs: object):
    kwargs.setdefault("explicit", True)
    kwargs.setdefault("learn", False)
    return RedisRateLimiter(url, key, limits, clock=SYSTEM_CLOCK, **kwargs)  # type: ignore[arg-type]


def violations(intervals: list[tuple[float, float]], limits: Sequence[tuple[int, float]]) -> list:
    """Requests admitted while a window already held its limit (the server-true rule)."""
    bad = []
    for limit, window in limits:
        for start_j, _ in intervals:
            held = sum(1 for s, e in intervals if s <= start_j and e > start_j - window)
            if held > limit:
                bad.append((window, start_j, held))
    return bad


async def run(
    limiter: RedisRateLimiter, n: int, log: list[tuple[float, float]], work: float = 0.01
):
    async def one() -> None:
        async with limiter.slot() as slot:
            start = time.monotonic()
            await asyncio.sleep(work)
            await slot.feedback({})
            log.append((start, time.monotonic()))

    await asyncio.gather(*(one() for _ in range(n)))


async def test_three_processes_share_one_exact_budget(redis_url: str) -> None:
    key = uuid.uuid4().hex
    limiters = [make(redis_url, key) for _ in range(3)]
    logs: list[list[tuple[float, float]]] = [[], [], []]
    started = time.monotonic()
    await asyncio.gather(*(run(lim, 8, log) for lim, log in zip(limiters, logs, strict=True)))
    elapsed = time.monotonic() - started
    everything = [i for log in logs for i in log]
    assert len(everything) == 24
    assert violations(everything, LIMITS) == []
    # 24 requests at 10 per 1.5 s: the third ten cannot start before 3 s (exactness, not speed:
    # speed is `make bench`'s).
    assert elapsed >= 3.0
    # Nobody starved: each process got some of the first window's ten admissions.
    order = sorted((start, n) for n, log in enumerate(logs) for start, _ in log)
    assert {n for _, n in order[:10]} == {0, 1, 2}
    for lim in limiters:
        await lim.aclose()


async def test_one_process_sees_the_other_spend(redis_url: str) -> None:
    key = uuid.uuid4().hex
    first, second = make(redis_url, key), make(redis_url, key)
    log: list[tuple[float, float]] = []
    await run(first, 4, log)
    t0 = time.monotonic()
    async with second.slot():
        waited = time.monotonic() - t0
    # The per-0.3 s window was full from `first`'s burst.
    assert waited > 0.15
    for lim in (first, second):
        await lim.aclose()


async def test_max_wait_gives_up_and_leaves_the_queue(redis_url: str) -> None:
    key = uuid.uuid4().hex
    limiter = make(redis_url, key, ((1, 5.0),))
    async with limiter.slot():
        pass
    with pytest.raises(SlotWaitExceeded):
        async with limiter.slot(max_wait=0.1):
            pass
    other = make(redis_url, key, ((1, 5.0),))
    # The queue is empty again: the other process is not held behind a ghost.
    reply = await other._call("reserve", "t", "w", "1000", "3000", *other._windows_args())
    assert int(reply[0]) == 0 and int(reply[1]) > 4000
    for lim in (limiter, other):
        await lim.aclose()


async def test_a_crashed_process_stops_counting_after_its_lease(redis_url: str) -> None:
    key = uuid.uuid4().hex
    crashed = make(redis_url, key, ((1, 0.2),), lease=0.5)
    slot = await crashed._acquire(None)  # admitted, never completed: the process "died"
    assert slot is not None
    survivor = make(redis_url, key, ((1, 0.2),))
    t0 = time.monotonic()
    async with survivor.slot():
        waited = time.monotonic() - t0
    assert 0.4 <= waited <= 1.5  # lease 0.5 s, then counted as ended
    for lim in (crashed, survivor):
        await lim.aclose()


async def test_header_less_refusal_lowers_the_shared_belief(redis_url: str) -> None:
    key = uuid.uuid4().hex
    first = make(redis_url, key, ((6, 0.5),), learn=True, explicit=False)
    second = make(redis_url, key, ((6, 0.5),), learn=True, explicit=False)
    for _ in range(3):
        async with first.slot() as slot:
            await slot.feedback({})
    async with first.slot() as slot:
        await slot.feedback({}, refused=True)  # the 4th was refused: the store allows 3
    assert first.stats.lowered == 1
    async with second.slot() as slot:
        await slot.feedback({})
    assert second.limits == ((3, 0.5),)
    for lim in (first, second):
        await lim.aclose()


async def test_advertised_limits_are_believed_shared_and_clamped(redis_url: str) -> None:
    key = uuid.uuid4().hex
    live = ((8, 1.0), (240, 60.0))
    first = make(redis_url, key, live, explicit=False)
    second = make(redis_url, key, live, explicit=False)
    async with first.slot() as slot:
        await slot.feedback(
            {
                "Jumpseller-PerSecondRateLimit-Limit": "20",
                "Jumpseller-PerMinuteRateLimit-Limit": "1000000000",
            }
        )
    async with second.slot() as slot:
        await slot.feedback({})
    assert second.limits == ((20, 1.0), (10_000, 60.0))
    for lim in (first, second):
        await lim.aclose()


async def test_a_ban_is_shared_and_nothing_is_admitted_meanwhile(redis_url: str) -> None:
    key = uuid.uuid4().hex
    first, second = make(redis_url, key), make(redis_url, key)
    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30)
    async with first.slot():
        first.pause_until(SYSTEM_CLOCK.monotonic() + 30, banned_until=until)
    await asyncio.sleep(0.05)  # the pause is written in the background
    with pytest.raises(SlotWaitExceeded) as info:
        async with second.slot(max_wait=1.0):
            pass
    assert info.value.needed is not None and info.value.needed > 25
    assert second.banned_until is not None
    assert abs((second.banned_until - until).total_seconds()) < 1
    for lim in (first, second):
        await lim.aclose()


async def test_redis_down_at_start_falls_back_at_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    limiter = make(f"redis://127.0.0.1:{free_port()}/0", uuid.uuid4().hex)
    t0 = time.monotonic()
    log: list[tuple[float, float]] = []
    await run(limiter, 6, log)
    assert time.monotonic() - t0 < 2.0
    assert not limiter.shared
    assert violations(log, LIMITS) == []  # the in-process limiter still keeps the windows
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1
    await limiter.aclose()


async def test_falling_back_scouts_as_an_uncoordinated_process() -> None:
    # Every process sharing the budget falls back at once and none sees the others: each
    # starts with one request in the per-second window, not a burst into the others' burst.
    limiter = make(f"redis://127.0.0.1:{free_port()}/0", uuid.uuid4().hex)
    async with limiter.slot():
        pass
    assert not limiter.shared
    fallback = limiter._fallback
    assert fallback.backend.share(0.3) == 1  # LIMITS' shortest window
    assert fallback.backend.share(1.5) is None
    await limiter.aclose()


async def test_outage_mid_run_completes_everything_and_comes_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    server = RedisServer()
    server.start()
    try:
        limiter = make(server.url, uuid.uuid4().hex)
        log: list[tuple[float, float]] = []
        task = asyncio.ensure_future(run(limiter, 20, log, work=0.02))
        await asyncio.sleep(0.4)
        server.stop()
        await asyncio.wait_for(task, 10)
        assert len(log) == 20
        assert not limiter.shared
        server.start()
        for _ in range(100):
            if limiter.shared:
                break
            await asyncio.sleep(0.1)
        assert limiter.shared
        async with limiter.slot() as slot:
            await slot.feedback({})
        messages = [r.getMessage() for r in caplog.records]
        assert sum("unreachable" in m for m in messages) == 1
        assert any("back" in m for m in messages)
        await limiter.aclose()
    finally:
        server.close()


async def test_a_redis_slot_observes_synchronously_too(redis_url: str) -> None:
    key = uuid.uuid4().hex
    live = ((8, 1.0), (240, 60.0))
    limiter = make(redis_url, key, live, explicit=False)
    async with limiter.slot() as slot:
        slot.observe({"Jumpseller-PerSecondRateLimit-Limit": "20"})  # written in the background
        await asyncio.sleep(0.1)
    async with limiter.slot() as slot:
        await slot.feedback({})
    assert limiter.limits == ((20, 1.0), (240, 60.0))
    await limiter.aclose()
