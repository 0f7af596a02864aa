"""The rate limiter, on virtual time only: no real sleeping, no network."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from jumpseller_async._ratelimit import DEFAULT_LIMITS, RateLimiter
from jumpseller_async._windows import MemoryWindowBackend
from jumpseller_async.errors import ConfigurationError
from jumpseller_async.testing import FakeClock

EPS = 1e-9
LIVE_HEADERS = {
    "Jumpseller-PerSecondRateLimit-Limit": "20",
    "Jumpseller-PerMinuteRateLimit-Limit": "800",
}


class Boom(Exception):
    pass


@dataclass
class Rec:
    idx: int
    arrival: int  # order in which the request asked for a slot
    start: float
    end: float = math.nan


class Harness:
    """Requests through a limiter on a FakeClock, recording each one's interval."""

    def __init__(self, limiter: RateLimiter, clock: FakeClock) -> None:
        self.limiter = limiter
        self.clock = clock
        self.recs: list[Rec] = []
        self._arrivals = itertools.count()

    async def request(
        self,
        idx: int,
        *,
        at: float = 0.0,
        latency: float = 0.0,
        fail: bool = False,
        headers: Mapping[str, str] | None = None,
        on_slot: Callable[[], None] | None = None,
    ) -> None:
        await self.clock.sleep(at - self.clock.monotonic())
        arrival = next(self._arrivals)
        async with self.limiter.slot() as slot:
            rec = Rec(idx, arrival, slot.acquired_at)
            assert slot.acquired_at == self.clock.monotonic()
            self.recs.append(rec)
            try:
                await self.clock.sleep(latency)
                if headers is not None:
                    slot.observe(headers)
                if on_slot is not None:
                    on_slot()
                if fail:
                    raise Boom
            finally:
                rec.end = self.clock.monotonic()

    async def many(self, n: int, **kwargs: Any) -> None:
        await self.clock.run(asyncio.gather(*(self.request(i, **kwargs) for i in range(n))))

    def starts(self) -> list[float]:
        return [r.start for r in sorted(self.recs, key=lambda r: r.idx)]


def make(
    limits: Sequence[tuple[int, float]] | None = DEFAULT_LIMITS, **kwargs: Any
) -> tuple[RateLimiter, FakeClock, Harness]:
    clock = FakeClock()
    limiter = RateLimiter(limits, clock=clock, **kwargs)
    return limiter, clock, Harness(limiter, clock)


def assert_exact(recs: Sequence[Rec], limits: Sequence[tuple[int, float]]) -> None:
    """Whatever moment inside [start, end] the server stamps each request at, no server
    window (T - W, T] holds more than N: the intervals meeting it are those with
    start <= T and end > T - W, and the worst T is some request's start."""
    for n, w in limits:
        for t in {r.start for r in recs}:
            meeting = sum(1 for r in recs if r.start <= t and r.end + w > t)
            assert meeting <= n, f"{meeting} requests can share a {w}s window ending at {t}"


def optimal_starts(n: int, limits: Sequence[tuple[int, float]], latency: float) -> list[float]:
    """Greedy earliest admission with everyone queued at 0, which no schedule beats:
    request k must wait until the k-N-th one has ended and left the window."""
    starts: list[float] = []
    for k in range(n):
        t = starts[-1] if starts else 0.0
        for limit, window in limits:
            if k >= limit:
                t = max(t, (starts[k - limit] + latency) + window)
        starts.append(t)
    return starts


def max_in_window(times: Sequence[float], window: float) -> int:
    """The most of ``times`` inside any half-open interval of length ``window``."""
    times = sorted(times)
    best = 0
    lo = 0
    for hi, t in enumerate(times):
        while times[lo] + window <= t:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


# --------------------------------------------------------------------------- exactness


RANDOM_LIMITS: list[tuple[tuple[int, float], ...]] = [
    DEFAULT_LIMITS,
    ((3, 0.5), (10, 4.0)),
    ((2, 1.0),),
    ((5, 1.0), (12, 3.0), (30, 10.0)),
    ((20, 1.0), (800, 60.0)),
]


@pytest.mark.parametrize("seed", range(10))
async def test_exact_over_random_schedules(seed: int) -> None:
    rng = random.Random(seed)
    limits = RANDOM_LIMITS[seed % len(RANDOM_LIMITS)]
    limiter, clock, h = make(limits)
    n = 300
    span = rng.choice([1.0, 10.0, 40.0])
    tasks: list[asyncio.Task[None]] = []

    async def cancel_later(task: asyncio.Task[None], at: float) -> None:
        await clock.sleep(at)
        task.cancel()

    async def main() -> None:
        cancellers = []
        for i in range(n):
            latency = rng.choice([0.0, rng.uniform(0, 0.2), rng.uniform(0, 3.0)])
            task = asyncio.ensure_future(
                h.request(
                    i,
                    at=rng.uniform(0, span),
                    latency=latency,
                    fail=rng.random() < 0.1,
                )
            )
            tasks.append(task)
            if rng.random() < 0.1:
                cancellers.append(cancel_later(task, rng.uniform(0, span * 2)))
        await asyncio.gather(*tasks, *cancellers, return_exceptions=True)

    await clock.run(main())

    recs = h.recs
    assert all(not math.isnan(r.end) for r in recs)
    assert len(recs) >= n * 0.7
    assert_exact(recs, limits)
    # FIFO: asking earlier never means getting in later.
    by_arrival = sorted(recs, key=lambda r: r.arrival)
    assert all(a.start <= b.start for a, b in itertools.pairwise(by_arrival))
    assert limiter.stats.admitted == len(recs)
    # Nothing left behind once the largest window has passed.
    assert not limiter._waiters
    backend = limiter.backend
    assert isinstance(backend, MemoryWindowBackend)
    assert backend.in_flight == 0
    backend.prune(clock.monotonic() + max(w for _, w in limits) + EPS)
    assert backend.tracked == 0


async def test_in_flight_requests_always_count() -> None:
    _limiter, clock, h = make(((1, 1.0),), explicit=True)
    sleeps: list[float] = []
    real_sleep = clock.sleep

    async def spy(seconds: float) -> None:
        sleeps.append(seconds)
        await real_sleep(seconds)

    clock.sleep = spy  # type: ignore[method-assign]
    await clock.run(asyncio.gather(h.request(0, latency=5.0), h.request(1, at=0.5)))
    # Waiting on an in-flight request has no deadline: no timer until it completes, then
    # exactly one sleep to its expiry.
    assert h.starts() == [0.0, 6.0]
    assert sorted(s for s in sleeps if s > 0) == [0.5, 1.0, 5.0]


# --------------------------------------------------------------------------- maximality


@pytest.mark.parametrize("latency", [0.0, 0.25])
async def test_maximal_schedule(latency: float) -> None:
    limits = ((8, 1.0), (240, 60.0))
    limiter, _clock, h = make(limits)
    await h.many(400, latency=latency)
    expected = optimal_starts(400, limits, latency)
    got = h.starts()
    assert all(abs(a - b) < EPS for a, b in zip(got, expected, strict=True))
    if latency == 0.0:
        # Bursts of 8 each second until 240 at t=29, then the minute slides: 8 at t=60..79.
        assert got[:8] == [0.0] * 8
        assert got[239] == 29.0
        assert got[240] == 60.0
        assert got[-1] == 79.0
    assert limiter.stats.admitted == 400
    assert limiter.stats.waits == 400 - 8


async def test_sleeps_exactly_until_the_slot_frees() -> None:
    limiter, clock, h = make(((1, 10.0),), explicit=True)
    sleeps: list[float] = []
    real_sleep = clock.sleep

    async def spy(seconds: float) -> None:
        sleeps.append(seconds)
        await real_sleep(seconds)

    clock.sleep = spy  # type: ignore[method-assign]
    await h.many(2)
    assert h.starts() == [0.0, 10.0]
    # One sleep of the harness's own (latency 0 sleeps yield without recording time) and
    # one timer sleep: no polling.
    assert [s for s in sleeps if s > 0] == [10.0]
    assert limiter.stats.waits == 1
    assert limiter.stats.waited_seconds == 10.0


# --------------------------------------------------------------------------- fairness


async def test_fifo_order() -> None:
    _limiter, clock, h = make(((1, 1.0),), explicit=True)

    async def main() -> None:
        tasks = [asyncio.ensure_future(h.request(i, at=0.1 * i)) for i in range(20)]
        # Arrives exactly when a slot frees, behind 19 waiters: must not jump the queue.
        tasks.append(asyncio.ensure_future(h.request(20, at=1.0)))
        await asyncio.gather(*tasks)

    await clock.run(main())
    by_arrival = sorted(h.recs, key=lambda r: r.arrival)
    assert [r.start for r in by_arrival] == [float(i) for i in range(21)]


async def test_cancelled_waiter_frees_its_place() -> None:
    limiter, clock, h = make(((1, 1.0),), explicit=True)

    async def main() -> None:
        a = asyncio.ensure_future(h.request(0))
        b = asyncio.ensure_future(h.request(1, at=0.1))
        c = asyncio.ensure_future(h.request(2, at=0.2))
        await clock.sleep(0.5)
        b.cancel()
        await asyncio.gather(a, c)
        assert b.cancelled()

    await clock.run(main())
    assert {r.idx: r.start for r in h.recs} == {0: 0.0, 2: 1.0}
    assert not limiter._waiters


async def test_cancelled_head_wakes_next_and_no_deadlock() -> None:
    limiter, clock, h = make(((2, 1.0),), explicit=True)

    async def main() -> None:
        first = [asyncio.ensure_future(h.request(i, latency=3.0)) for i in range(2)]
        waiters = [asyncio.ensure_future(h.request(i, at=0.1)) for i in range(2, 6)]
        await clock.sleep(1.0)
        waiters[0].cancel()
        waiters[2].cancel()
        await asyncio.gather(*first, waiters[1], waiters[3])

    await clock.run(main())
    assert {r.idx: r.start for r in h.recs} == {0: 0.0, 1: 0.0, 3: 4.0, 5: 4.0}
    assert not limiter._waiters


async def test_admitted_but_cancelled_before_running_gives_the_slot_back() -> None:
    limiter, clock, h = make(((1, 1.0),), explicit=True)
    await clock.run(h.request(0))
    b = asyncio.ensure_future(h.request(1))
    c = asyncio.ensure_future(h.request(2))
    await clock.settle()
    assert len(limiter._waiters) == 2
    # At t=1 the slot frees; B is admitted, then cancelled before it gets to run.
    clock.advance_to(1.0)
    limiter._pump()
    b.cancel()
    await clock.run(asyncio.gather(b, c, return_exceptions=True))
    assert b.cancelled()
    assert {r.idx: r.start for r in h.recs} == {0: 0.0, 2: 1.0}
    assert limiter.stats.admitted == 2
    backend = limiter.backend
    assert isinstance(backend, MemoryWindowBackend)
    assert backend.in_flight == 0


async def test_exception_inside_slot_still_counts() -> None:
    _limiter, clock, h = make(((1, 1.0),), explicit=True)

    async def main() -> None:
        with pytest.raises(Boom):
            await h.request(0, latency=0.3, fail=True)

    await clock.run(asyncio.gather(main(), h.request(1, at=0.1)))
    assert h.starts() == [0.0, 1.3]


async def test_cancelled_request_in_flight_still_counts() -> None:
    _limiter, clock, h = make(((1, 1.0),), explicit=True)

    async def main() -> None:
        a = asyncio.ensure_future(h.request(0, latency=10.0))
        b = asyncio.ensure_future(h.request(1, at=0.1))
        await clock.sleep(0.5)
        a.cancel()
        await asyncio.gather(a, b, return_exceptions=True)

    await clock.run(main())
    assert h.starts() == [0.0, 1.5]


# --------------------------------------------------------------------------- adaptation


async def test_adopts_advertised_limits_up_and_down() -> None:
    limiter, _clock, _h = make()
    assert limiter.limits == DEFAULT_LIMITS
    limiter.observe(LIVE_HEADERS)
    assert limiter.limits == ((20, 1.0), (800, 60.0))
    limiter.observe(
        {"jumpseller-persecondratelimit-limit": "5", "JUMPSELLER-PERMINUTERATELIMIT-LIMIT": "100"}
    )
    assert limiter.limits == ((5, 1.0), (100, 60.0))
    limiter.observe({"Jumpseller-PerSecondRateLimit-Limit": "junk"})
    limiter.observe({"Jumpseller-PerSecondRateLimit-Limit": "0"})
    assert limiter.limits == ((5, 1.0), (100, 60.0))


async def test_explicit_limits_are_a_ceiling() -> None:
    limiter, _clock, _h = make(((10, 1.0), (500, 60.0)), explicit=True)
    limiter.observe(LIVE_HEADERS)
    assert limiter.limits == ((10, 1.0), (500, 60.0))
    limiter.observe(
        {"Jumpseller-PerSecondRateLimit-Limit": "4", "Jumpseller-PerMinuteRateLimit-Limit": "400"}
    )
    assert limiter.limits == ((4, 1.0), (400, 60.0))
    limiter.observe(LIVE_HEADERS)
    assert limiter.limits == ((10, 1.0), (500, 60.0))


async def test_advertised_window_we_lacked_is_added() -> None:
    limiter, _clock, _h = make(((5, 1.0),), explicit=True)
    limiter.observe(LIVE_HEADERS)
    assert limiter.limits == ((5, 1.0), (800, 60.0))


async def test_adopting_higher_limits_releases_waiters_at_once() -> None:
    _limiter, _clock, h = make()
    await h.many(20, headers=LIVE_HEADERS)
    # 8 go under the documented limit; the first answer advertises 20/s, which the other
    # 12 can use immediately.
    assert h.starts() == [0.0] * 20


async def test_lower_remaining_adds_phantoms() -> None:
    limiter, clock, h = make()
    # Our one request sees 2 left of 8: 5 requests are someone else's.
    headers = {
        "Jumpseller-PerSecondRateLimit-Limit": "8",
        "Jumpseller-PerSecondRateLimit-Remaining": "2",
    }
    await clock.run(h.request(-1, headers=headers))
    assert limiter.stats.phantoms == 5
    await h.many(10)
    assert h.starts() == [0.0] * 3 + [1.0] * 8


async def test_matching_remaining_adds_nothing() -> None:
    limiter, clock, h = make()
    headers = {
        "Jumpseller-PerSecondRateLimit-Remaining": "7",
        "Jumpseller-PerMinuteRateLimit-Remaining": "239",
    }
    await clock.run(h.request(0, headers=headers))
    assert limiter.stats.phantoms == 0


async def test_remaining_is_compared_with_our_count_at_send_time() -> None:
    # A ends at 0.5 and leaves the window at 1.5. The server counted it when B was stamped
    # (B reports 0 left), but B's answer arrives at 1.6, after A left our window: counting
    # ours "now" would invent a phantom that blocks C for a whole second.
    limiter, clock, h = make(((2, 1.0),), explicit=True)
    headers = {"Jumpseller-PerSecondRateLimit-Remaining": "0"}

    async def main() -> None:
        await h.request(0, latency=0.5)
        await h.request(1, at=0.6, latency=1.0, headers=headers)
        await h.request(2)

    await clock.run(main())
    assert limiter.stats.phantoms == 0
    assert h.starts() == [0.0, 0.6, 1.6]


async def test_on_rate_limited_without_retry_after_fills_every_window() -> None:
    limiter, clock, h = make()
    await clock.run(h.request(-1, on_slot=lambda: limiter.on_rate_limited(None)))
    await h.many(9)
    # Full per-minute window until t=60; the first request left it too, so a burst of 8.
    assert h.starts() == [0.0] + [60.0] * 8 + [61.0]
    assert limiter.stats.rate_limited == 1


async def test_on_rate_limited_with_retry_after_then_resumes() -> None:
    limiter, clock, h = make()
    await clock.run(h.request(-1, on_slot=lambda: limiter.on_rate_limited(5.0)))
    await h.many(9)
    assert h.starts() == [0.0] + [5.0] * 8 + [6.0]


async def test_refusal_headers_say_which_window_is_spent() -> None:
    # The per-second window is spent, the minute has room: back off one second, not sixty.
    per_second_spent = {
        "Jumpseller-PerSecondRateLimit-Remaining": "0",
        "Jumpseller-PerMinuteRateLimit-Remaining": "200",
    }
    limiter, clock, h = make()
    await clock.run(h.request(-1, on_slot=lambda: limiter.on_rate_limited(None, per_second_spent)))
    await h.many(9)
    assert h.starts() == [0.0] + [1.0] * 8 + [2.0]


async def test_refusal_without_headers_fills_every_window() -> None:
    limiter, clock, h = make()
    await clock.run(h.request(-1, on_slot=lambda: limiter.on_rate_limited(None, {})))
    await h.many(1)
    assert h.starts() == [0.0, 60.0]


async def test_pause_until() -> None:
    limiter, clock, h = make()

    async def main() -> None:
        requests = asyncio.gather(*(h.request(i) for i in range(9)))
        await clock.sleep(3.5)
        limiter.pause_until(10.0)  # lands while 8 are done and one waits for t=4
        await requests

    limiter.pause_until(3.0)
    await clock.run(main())
    assert h.starts() == [3.0] * 8 + [10.0]


async def test_disabled_limiter_never_waits() -> None:
    limiter, clock, h = make(None)
    assert limiter.limits == ()
    await h.many(1000, headers=LIVE_HEADERS, on_slot=lambda: limiter.on_rate_limited(30.0))
    limiter.pause_until(100.0)
    assert clock.monotonic() == 0.0
    assert h.starts() == [0.0] * 1000
    assert limiter.stats.waits == 0
    assert limiter.stats.admitted == 1000
    assert limiter.limits == ()


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("limits", "named"),
    [
        ([(0, 1.0)], "0"),
        ([(-3, 1.0)], "-3"),
        ([(8.5, 1.0)], "8.5"),
        ([(True, 1.0)], "True"),
        ([("8", 1.0)], "'8'"),
        ([(8, 0)], "0"),
        ([(8, -1.0)], "-1.0"),
        ([(8, math.nan)], "nan"),
        ([(8, math.inf)], "inf"),
        ([(8, "1")], "'1'"),
        ([(8,)], "(8,)"),
        ([(8, 1.0, 2)], "(8, 1.0, 2)"),
        ("8/s", "8/s"),
        (8, "8"),
        ([], "empty"),
        ([(8, 1.0), (9, 1)], "1"),
    ],
)
def test_bad_limits_raise(limits: Any, named: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        RateLimiter(limits)
    assert named in str(info.value)


def test_limits_are_normalised() -> None:
    lists: Any = [[240, 60], [8, 1]]
    limiter = RateLimiter(lists)
    assert limiter.limits == ((8, 1.0), (240, 60.0))


# --------------------------------------------------------------------------- token bucket


class _FakeLoopTime:
    """Lets aiolimiter read time from, and set timers on, a FakeClock."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._loop = asyncio.get_running_loop()

    def time(self) -> float:
        return self._clock.monotonic()

    def is_closed(self) -> bool:
        return False

    def create_future(self) -> asyncio.Future[Any]:
        return self._loop.create_future()

    def call_soon(self, callback: Callable[..., object], *args: object) -> asyncio.Handle:
        return self._loop.call_soon(callback, *args)

    def call_at(self, when: float, callback: Callable[..., object], *args: object) -> Any:
        async def later() -> None:
            await self._clock.sleep(when - self._clock.monotonic())
            callback(*args)

        return self._loop.create_task(later())  # a Task has the cancel() aiolimiter needs


async def test_token_bucket_breaks_the_sliding_window() -> None:
    aiolimiter = pytest.importorskip("aiolimiter")
    clock = FakeClock()
    bucket = aiolimiter.AsyncLimiter(240, 60)
    bucket._event_loop = _FakeLoopTime(clock)
    admitted: list[float] = []

    async def one() -> None:
        async with bucket:
            admitted.append(clock.monotonic())

    await clock.run(asyncio.gather(*(one() for _ in range(500))))
    # The full bucket at t=0, then refilled at 4/s: ~2x the limit within one minute.
    assert max_in_window(admitted, 60.0) >= 470

    _limiter, clock, h = make(((240, 60.0),), explicit=True)
    await h.many(500)
    assert max_in_window(h.starts(), 60.0) == 240


# --------------------------------------------------------------------------- clocks


async def test_system_clock_default_admits_a_burst_without_sleeping() -> None:
    limiter = RateLimiter()
    for _ in range(8):
        async with limiter.slot() as slot:
            assert slot.waited == 0.0
    assert limiter.stats.admitted == 8
    assert limiter.stats.waits == 0


async def test_fake_clock_reports_deadlock() -> None:
    clock = FakeClock()
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    with pytest.raises(RuntimeError, match="deadlock"):
        await clock.run(never)


async def test_fake_clock_wakes_sleepers_in_time_order() -> None:
    clock = FakeClock(start=100.0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic()))

    await clock.run(
        asyncio.gather(sleeper("c", 3.0), sleeper("a", 1.0), sleeper("b", 1.0), sleeper("z", 0))
    )
    assert woke == [("z", 100.0), ("a", 101.0), ("b", 101.0), ("c", 103.0)]


async def test_own_requests_that_expired_mid_flight_are_not_taken_for_strangers() -> None:
    """A slow answer is compared with our count at its admission, which must still see the
    requests that were live then even if they expired while it was in flight."""
    clock = FakeClock()
    limiter = RateLimiter([(3, 1.0)], clock=clock)
    full = {
        "Jumpseller-PerSecondRateLimit-Limit": "3",
        "Jumpseller-PerSecondRateLimit-Remaining": "0",
    }

    async def request(start: float, end: float, headers: dict[str, str] | None = None) -> None:
        await clock.sleep(start)
        async with limiter.slot() as slot:
            await clock.sleep(end - start)
            if headers:
                slot.observe(headers)

    # A and B end at 0.1; C (admitted at 0.5, so the server counted A, B and C) answers at 2.0;
    # D is admitted at 1.5, after A and B left the window.
    await clock.run(
        asyncio.gather(request(0, 0.1), request(0, 0.1), request(0.5, 2.0, full), request(1.5, 1.6))
    )
    assert limiter.stats.phantoms == 0
