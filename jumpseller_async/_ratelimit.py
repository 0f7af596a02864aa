"""Exact, server-true sliding-window rate limiting for the Jumpseller API.

Jumpseller limits each store to ``N`` requests per sliding window, for several windows at
once (documented: 8 per second *and* 240 per minute; the live API advertises 20/s and
800/min in the ``Jumpseller-Per{Second,Minute}RateLimit-{Limit,Remaining}`` headers).

The admission rule
------------------
Every request occupies the interval ``[acquire, completion]`` on the local monotonic clock.
For a window of ``N`` requests per ``W`` seconds, a request asking at time ``t`` is admitted
iff::

    #{earlier requests still in flight, or completed after t - W}  +  1  <=  N

and it is admitted only if that holds for *every* window at the same instant, so a slot is
never held in one window while waiting on another.

Why this is server-true: the server stamps a request at some unknown moment ``s`` inside its
interval (after we send it, before we read the answer; a busy event loop only widens the
gap). Suppose ``N + 1`` requests had stamps inside one server window ``(T - W, T]``. Take the
last of them to be admitted, ``j``: its stamp is ``<= T`` so ``acquire_j <= T``; every other
one, ``i``, has ``completion_i >= s_i > T - W >= acquire_j - W``, so at ``acquire_j`` each ``i``
was either in flight or completed after ``acquire_j - W``. That is ``N`` earlier requests plus
``j``, which the rule refuses. So whatever the stamps are, no server window ever holds more
than ``N`` of our requests. Stamping at the acquire time instead (a plain sliding log) is not
safe: a request delayed in transit can land in the next window next to fresh ones.

It is also as fast as those windows allow: the limiter bursts up to every limit at once and
then admits each waiter at the exact instant the earliest entry expires (``completion + W``,
computed from the stored completion times, one timer, no polling). A token bucket with
capacity ``N`` (e.g. ``aiolimiter.AsyncLimiter(240, 60)``) instead admits ~``2N`` in a sliding
minute, and evenly spaced sending wastes the burst the server grants.

Beyond our own requests
-----------------------
* ``observe(headers)`` adopts the advertised limits (unless the caller's limits are
  ``explicit``: then they are a ceiling the server can only lower) and, when the server's
  ``-Remaining`` is lower than ours implies, records "phantom" entries for the difference:
  someone else is spending the same store budget.
* ``on_rate_limited(retry_after)`` treats every window as full for ``retry_after`` seconds
  (or the window's length) after a 429 / 403 "Rate Limit Exceeded".
* ``pause_until(deadline)`` admits nothing before ``deadline`` (a ban).

The window bookkeeping sits behind :class:`WindowBackend`, so a later backend can share one
store's budget across processes (e.g. through Redis); :class:`RateLimiter` keeps only the
per-process parts: the FIFO queue, the timer and the clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
from bisect import bisect_right, insort
from collections import deque
from collections.abc import Awaitable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass
from types import TracebackType
from typing import NamedTuple, Protocol, TypeAlias, TypeVar

from jumpseller_async.errors import ConfigurationError

__all__ = [
    "DEFAULT_LIMITS",
    "Clock",
    "FakeClock",
    "LimiterStats",
    "Limits",
    "MemoryWindowBackend",
    "RateLimiter",
    "Reservation",
    "Slot",
    "SystemClock",
    "WindowBackend",
]

logger = logging.getLogger(__name__)

Limits: TypeAlias = Sequence[tuple[int, float]]
"""``(max requests, window seconds)`` pairs; every one of them applies at once."""

DEFAULT_LIMITS: tuple[tuple[int, float], ...] = ((8, 1.0), (240, 60.0))
"""The documented limits. The live API advertises higher ones, which ``observe`` adopts."""

# Header names are compared lowercased: a plain dict of headers is not case-insensitive.
_HEADER_WINDOWS: tuple[tuple[float, str, str], ...] = (
    (
        1.0,
        "jumpseller-persecondratelimit-limit",
        "jumpseller-persecondratelimit-remaining",
    ),
    (
        60.0,
        "jumpseller-perminuteratelimit-limit",
        "jumpseller-perminuteratelimit-remaining",
    ),
)

_T = TypeVar("_T")


def _advertised_remaining(headers: Mapping[str, str]) -> dict[float, int]:
    """Window length → the ``-Remaining`` count the server advertised for it, where valid."""
    lowered = {str(k).lower(): v for k, v in headers.items()}
    found: dict[float, int] = {}
    for window, _, remaining_name in _HEADER_WINDOWS:
        try:
            found[window] = int(str(lowered[remaining_name]).strip())
        except (KeyError, ValueError):
            continue
    return found


# --------------------------------------------------------------------------- clocks


class Clock(Protocol):
    """Where the limiter reads the time and sleeps; both must use the same time base."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` on this clock (return promptly for ``seconds <= 0``)."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` is also what the asyncio loop sleeps on."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """Virtual time for tests, on the real asyncio loop.

    ``sleep`` parks the caller until virtual time reaches its deadline; time moves only when
    told to: ``advance``/``advance_to`` (then ``await settle()``), or ``run``, which
    auto-jumps like trio's ``MockClock(autojump_threshold=0)``: whenever every task is blocked
    it moves time to the earliest sleeper's deadline and wakes the sleepers due then, in
    (deadline, call order) order, so runs are deterministic.

    "Every task is blocked" means the loop's ready queue is empty when ``settle`` regains
    control, which covers chains of callbacks of any length. Code that waits on real
    timers or I/O (``asyncio.sleep(1)``, ``wait_for`` timeouts) is invisible to this clock.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if not seconds > 0:  # also NaN
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), future))
        # A cancelled sleeper stays in the heap as a done future and is skipped later.
        await future

    @property
    def next_deadline(self) -> float | None:
        """The earliest deadline of a live sleeper, or None if nobody sleeps."""
        heap = self._sleepers
        while heap and heap[0][2].done():
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` and wake every sleeper that is due."""
        if seconds < 0:
            raise ValueError(f"cannot move a clock backwards (seconds={seconds!r})")
        self.advance_to(self._now + seconds)

    def advance_to(self, when: float) -> None:
        """Move time to ``when`` (if later) and wake every sleeper that is due."""
        if when > self._now:
            self._now = when
        heap = self._sleepers
        while heap and heap[0][0] <= self._now:
            _, _, future = heapq.heappop(heap)
            if not future.done():
                future.set_result(None)

    async def settle(self, max_rounds: int = 100_000) -> None:
        """Yield to the loop until every other task is blocked."""
        loop = asyncio.get_running_loop()
        ready = getattr(loop, "_ready", None)
        if ready is None:
            # Not the stock asyncio loop: fall back to a generous, fixed number of turns.
            for _ in range(1000):
                await asyncio.sleep(0)
            return
        for _ in range(max_rounds):
            await asyncio.sleep(0)
            if not ready:
                return
        raise RuntimeError(f"tasks still runnable after {max_rounds} loop turns (busy loop?)")

    async def run(self, awaitable: Awaitable[_T]) -> _T:
        """Await ``awaitable``, jumping virtual time whenever everything is blocked.

        Raises RuntimeError on a deadlock: all tasks blocked and no one sleeping.
        """
        task = asyncio.ensure_future(awaitable)
        try:
            while True:
                await self.settle()
                if task.done():
                    return task.result()
                deadline = self.next_deadline
                if deadline is None:
                    raise RuntimeError(
                        f"deadlock at t={self._now}: every task is blocked and none sleeps"
                    )
                self.advance_to(deadline)
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


# --------------------------------------------------------------------------- backends


class Reservation(NamedTuple):
    """The answer of :meth:`WindowBackend.reserve`."""

    handle: int | None
    """Set when admitted: pass it to ``complete`` (or ``release``)."""
    wait: float
    """0.0 when admitted; else seconds until a slot may free, ``inf`` if only a completion can."""


class WindowBackend(Protocol):
    """The window state of one store: who occupies which window, and the current limits.

    All times are on the calling limiter's clock; a backend shared between processes must
    translate (it gets ``now`` with every call, and returns relative waits). Methods are
    synchronous and must be atomic: :meth:`reserve` checks every window and records the
    entry in one step, which is what keeps the limiter exact.
    """

    @property
    def limits(self) -> tuple[tuple[int, float], ...]:
        """The effective ``(max requests, window seconds)`` pairs, sorted by window."""
        ...

    def set_limits(self, limits: Sequence[tuple[int, float]]) -> None:
        """Replace the effective limits (already validated). Entries are kept."""
        ...

    def reserve(self, now: float) -> Reservation:
        """Admit one request at ``now`` if every window has room (recording it in flight)."""
        ...

    def complete(self, handle: int, now: float) -> None:
        """The request ended at ``now``; it keeps counting in each window W until now + W."""
        ...

    def release(self, handle: int) -> None:
        """Forget a reservation whose request was never sent."""
        ...

    def count(self, window: float, at: float) -> int:
        """How many entries occupy the window of length ``window`` at time ``at``.

        ``at`` may lie in the recent past; in-flight entries always count.
        """
        ...

    def add_phantoms(
        self, count: int, now: float, window: float, duration: float | None = None
    ) -> None:
        """Occupy ``count`` places of the ``window``-long window until ``now + duration``.

        ``duration`` defaults to ``window``. Phantoms stand for requests we did not make.
        """
        ...

    def pause(self, now: float, seconds: float) -> None:
        """Admit nothing before ``now + seconds`` (an earlier pause is never shortened)."""
        ...


class MemoryWindowBackend:
    """The in-process :class:`WindowBackend`.

    In-flight entries live in a dict; completed ones as a sorted list of completion times
    (an entry counts in window W while ``end + W > now``, so one list serves every window);
    phantoms as a sorted list of expiry times per window. Entries older than the largest
    window ever configured are pruned on every ``reserve``.
    """

    def __init__(self) -> None:
        self._limits: tuple[tuple[int, float], ...] = ()
        self._in_flight: dict[int, float] = {}
        self._ends: list[float] = []
        self._phantoms: dict[float, list[float]] = {}
        self._paused_until = -math.inf
        # Never shrinks: if a longer window is added later, the entries it needs must still
        # be here.
        self._horizon = 0.0
        self._handles = itertools.count()

    @property
    def limits(self) -> tuple[tuple[int, float], ...]:
        return self._limits

    @property
    def in_flight(self) -> int:
        """How many reserved requests have not completed."""
        return len(self._in_flight)

    @property
    def tracked(self) -> int:
        """Every stored entry: in flight, completed and phantom (for leak checks)."""
        return len(self._in_flight) + len(self._ends) + sum(map(len, self._phantoms.values()))

    def set_limits(self, limits: Sequence[tuple[int, float]]) -> None:
        self._limits = tuple(sorted(((int(n), float(w)) for n, w in limits), key=lambda p: p[1]))
        windows = {w for _, w in self._limits}
        if windows:
            self._horizon = max(self._horizon, *windows)
        self._phantoms = {w: ph for w, ph in self._phantoms.items() if w in windows}

    def prune(self, now: float) -> None:
        """Drop completed entries and phantoms that no window counts any more.

        "Any more" is measured from the oldest request still in flight: ``observe`` compares
        the server's count with ours as of that request's admission, which must still see
        every entry that was live then (else our own expired requests pass for a stranger's).
        """
        cutoff = min(now, min(self._in_flight.values(), default=now))
        horizon = self._horizon
        ends = self._ends
        k = 0
        while k < len(ends) and ends[k] + horizon <= cutoff:
            k += 1
        if k:
            del ends[:k]
        for phantoms in self._phantoms.values():
            k = bisect_right(phantoms, cutoff)
            if k:
                del phantoms[:k]

    def reserve(self, now: float) -> Reservation:
        self.prune(now)
        if now < self._paused_until:
            return Reservation(None, self._paused_until - now)
        wait = 0.0
        for limit, window in self._limits:
            wait = max(wait, self._window_wait(limit, window, now))
        if wait > 0.0:
            return Reservation(None, wait)
        handle = next(self._handles)
        self._in_flight[handle] = now
        return Reservation(handle, 0.0)

    def _window_wait(self, limit: int, window: float, now: float) -> float:
        """0.0 if the window has room at ``now``, else how long until it has."""
        ends = self._ends
        first_end = bisect_right(ends, now, key=lambda end: end + window)
        phantoms = self._phantoms.get(window, [])
        first_phantom = bisect_right(phantoms, now)
        expiring = (len(ends) - first_end) + (len(phantoms) - first_phantom)
        occupied = len(self._in_flight) + expiring
        if occupied < limit:
            return 0.0
        needed = occupied - limit + 1
        if needed > expiring:
            return math.inf  # only a completion can make room
        # Counts only fall between events, so the window opens at the needed-th expiry.
        expiries = heapq.merge(
            (ends[i] + window for i in range(first_end, len(ends))),
            itertools.islice(phantoms, first_phantom, None),
        )
        opens_at = next(itertools.islice(expiries, needed - 1, None))
        return opens_at - now

    def complete(self, handle: int, now: float) -> None:
        if self._in_flight.pop(handle, None) is not None:
            insort(self._ends, now)

    def release(self, handle: int) -> None:
        self._in_flight.pop(handle, None)

    def count(self, window: float, at: float) -> int:
        ends = self._ends
        first_end = bisect_right(ends, at, key=lambda end: end + window)
        phantoms = self._phantoms.get(window, [])
        return (
            len(self._in_flight)
            + (len(ends) - first_end)
            + (len(phantoms) - bisect_right(phantoms, at))
        )

    def add_phantoms(
        self, count: int, now: float, window: float, duration: float | None = None
    ) -> None:
        limit = next((n for n, w in self._limits if w == window), None)
        if limit is None or count <= 0:
            return
        phantoms = self._phantoms.setdefault(window, [])
        expiry = now + (window if duration is None else duration)
        for _ in range(count):
            insort(phantoms, expiry)
        # Whenever a dropped phantom would still be alive, the `limit` later-expiring ones
        # are too and fill the window by themselves: dropping it changes no decision.
        if len(phantoms) > limit:
            del phantoms[: len(phantoms) - limit]

    def pause(self, now: float, seconds: float) -> None:
        self._paused_until = max(self._paused_until, now + seconds)


# --------------------------------------------------------------------------- limiter


@dataclass
class LimiterStats:
    """Counters for logs and benchmarks."""

    admitted: int = 0
    """Requests let through (including those admitted without waiting)."""
    waits: int = 0
    """Requests that had to queue."""
    waited_seconds: float = 0.0
    """Total time spent queueing, summed over requests."""
    rate_limited: int = 0
    """Calls to ``on_rate_limited``."""
    phantoms: int = 0
    """Phantom entries added because ``-Remaining`` showed another consumer."""


class Slot:
    """One admitted request; ``observe`` feeds its response headers back to the limiter."""

    __slots__ = ("_handle", "_limiter", "acquired_at", "waited")

    def __init__(
        self, limiter: RateLimiter, handle: int | None, acquired_at: float, waited: float
    ) -> None:
        self._limiter = limiter
        self._handle = handle
        self.acquired_at = acquired_at
        """Clock time the request was admitted (the start of its interval)."""
        self.waited = waited
        """Seconds it queued before admission."""

    def observe(self, headers: Mapping[str, str]) -> None:
        """Like :meth:`RateLimiter.observe`, knowing when this request was admitted."""
        self._limiter.observe(headers, sent_at=self.acquired_at)


class _SlotContext(AbstractAsyncContextManager[Slot]):
    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter
        self._slot: Slot | None = None

    async def __aenter__(self) -> Slot:
        self._slot = await self._limiter._acquire()
        return self._slot

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        slot, self._slot = self._slot, None
        if slot is not None:
            # Also on an exception: the request may have reached the server.
            self._limiter._complete(slot._handle)


class RateLimiter:
    """Admits requests so that no window of any limit is ever exceeded, in FIFO order.

    ``limits=None`` disables limiting (``slot()`` never waits; the other methods do nothing).
    With ``explicit=True`` the given limits are a ceiling: advertised limits can lower them,
    never raise them. Otherwise the advertised limits replace them.

    Use one limiter per store, from one event loop::

        async with limiter.slot() as slot:
            response = await send()
            slot.observe(response.headers)
    """

    def __init__(
        self,
        limits: Limits | None = DEFAULT_LIMITS,
        *,
        explicit: bool = False,
        clock: Clock | None = None,
        backend: WindowBackend | None = None,
    ) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._backend: WindowBackend = backend if backend is not None else MemoryWindowBackend()
        self.stats = LimiterStats()
        self._enabled = limits is not None
        self._ceilings: dict[float, int] = {}
        if limits is not None:
            validated = _validate_limits(limits)
            if explicit:
                self._ceilings = {w: n for n, w in validated}
            self._backend.set_limits(validated)
        # Futures resolve to (handle, admission time); FIFO by construction.
        self._waiters: deque[asyncio.Future[tuple[int, float]]] = deque()
        self._timer: asyncio.Task[None] | None = None
        self._timer_deadline = math.nan

    @property
    def limits(self) -> tuple[tuple[int, float], ...]:
        """The effective ``(max requests, window seconds)`` pairs; ``()`` when disabled."""
        return self._backend.limits if self._enabled else ()

    @property
    def clock(self) -> Clock:
        """The clock the limiter reads and sleeps on."""
        return self._clock

    @property
    def backend(self) -> WindowBackend:
        """Where the windows' admissions are recorded (memory, or shared)."""
        return self._backend

    def slot(self) -> AbstractAsyncContextManager[Slot]:
        """Wait (FIFO) for room in every window; the request's interval ends on exit."""
        return _SlotContext(self)

    # -- feedback from the server

    def observe(self, headers: Mapping[str, str], *, sent_at: float | None = None) -> None:
        """Learn from a response's rate-limit headers.

        Adopts advertised ``-Limit`` values for the 1 s and 60 s windows (within the
        ceiling, if the limits are explicit; a missing window is added). A ``-Remaining``
        below ``limit - our count`` means another consumer uses the store: phantoms make up
        the difference, for one window length.

        ``sent_at`` is when the request was admitted: our count is taken there, because the
        server counted at its stamp, after that, and entries that expired since would make
        the server look busier than it is. Without it, the count is taken now.
        """
        if not self._enabled:
            return
        lowered = {key.lower(): value for key, value in headers.items()}
        current = {w: n for n, w in self._backend.limits}
        changed = False
        for window, limit_header, _ in _HEADER_WINDOWS:
            advertised = _parse_count(lowered.get(limit_header))
            if advertised is None or advertised <= 0:
                continue
            ceiling = self._ceilings.get(window)
            target = advertised if ceiling is None else min(ceiling, advertised)
            if current.get(window) != target:
                current[window] = target
                changed = True
        if changed:
            new_limits = tuple(sorted(((n, w) for w, n in current.items()), key=lambda p: p[1]))
            logger.debug("adopting advertised rate limits %s", new_limits)
            self._backend.set_limits(new_limits)

        now = self._clock.monotonic()
        at = now if sent_at is None else min(sent_at, now)
        for window, _, remaining_header in _HEADER_WINDOWS:
            remaining = _parse_count(lowered.get(remaining_header))
            if remaining is None or window not in current:
                continue
            ours = self._backend.count(window, at)
            missing = (current[window] - ours) - max(remaining, 0)
            if missing > 0:
                logger.debug(
                    "server reports %d left in the %gs window, we expected %d: "
                    "another consumer shares this store",
                    remaining,
                    window,
                    current[window] - ours,
                )
                self._backend.add_phantoms(missing, now, window)
                self.stats.phantoms += missing
        self._pump()

    def on_rate_limited(
        self, retry_after: float | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """The server refused a request for rate: the windows it says are spent are full a while.

        Full until ``now + retry_after`` if that is a positive number, else until
        ``now + window``. When the refusal's headers give a window's ``-Remaining`` above zero,
        that window is left alone: a per-second refusal must not stall a minute. Without any
        such header every window is filled (so a bare 429 costs up to a minute).
        """
        self.stats.rate_limited += 1
        if not self._enabled:
            return
        now = self._clock.monotonic()
        backoff = (
            retry_after
            if retry_after is not None and math.isfinite(retry_after) and retry_after > 0
            else None
        )
        remaining = _advertised_remaining(headers or {})
        spent = [
            (limit, window)
            for limit, window in self._backend.limits
            if remaining.get(window, 0) <= 0
        ]
        if not spent:
            # Every window claims room, yet we were refused: back off the shortest one.
            spent = [min(self._backend.limits, key=lambda pair: pair[1])]
        logger.debug("rate limited; backing off %s (retry_after=%r)", spent, retry_after)
        for limit, window in spent:
            self._backend.add_phantoms(limit, now, window, backoff)
        self._pump()

    def pause_until(self, deadline: float) -> None:
        """Admit nothing before ``deadline`` (on this limiter's clock), e.g. during a ban."""
        if not self._enabled:
            return
        now = self._clock.monotonic()
        if deadline > now:
            logger.debug("paused for %.3fs", deadline - now)
            self._backend.pause(now, deadline - now)
            self._pump()

    # -- admission

    async def _acquire(self) -> Slot:
        now = self._clock.monotonic()
        if not self._enabled:
            self.stats.admitted += 1
            return Slot(self, None, now, 0.0)
        if not self._waiters:
            handle, _ = self._backend.reserve(now)
            if handle is not None:
                self.stats.admitted += 1
                return Slot(self, handle, now, 0.0)
        future: asyncio.Future[tuple[int, float]] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        self._pump()
        try:
            handle, admitted_at = await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                # Admitted, but cancelled before it could send: give the place back.
                self._backend.release(future.result()[0])
                self.stats.admitted -= 1
            else:
                with suppress(ValueError):
                    self._waiters.remove(future)
            self._pump()
            raise
        self.stats.waits += 1
        self.stats.waited_seconds += admitted_at - now
        return Slot(self, handle, admitted_at, admitted_at - now)

    def _complete(self, handle: int | None) -> None:
        if handle is None:
            return
        self._backend.complete(handle, self._clock.monotonic())
        self._pump()

    def _pump(self) -> None:
        """Admit waiters from the head while there is room, then arm the timer for the next."""
        waiters = self._waiters
        wait = math.inf
        now = self._clock.monotonic()
        while waiters:
            head = waiters[0]
            if head.done():  # cancelled
                waiters.popleft()
                continue
            handle, wait = self._backend.reserve(now)
            if handle is None:
                break
            waiters.popleft()
            self.stats.admitted += 1
            head.set_result((handle, now))
        if not waiters or math.isinf(wait):
            # Nothing to wake, or only a completion (which pumps) can make room.
            self._cancel_timer()
            return
        deadline = now + wait
        if self._timer is not None and not self._timer.done():
            if self._timer_deadline == deadline:
                return
            self._timer.cancel()
        self._timer_deadline = deadline
        self._timer = asyncio.get_running_loop().create_task(
            self._wake_after(wait), name="jumpseller-ratelimit-timer"
        )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _wake_after(self, delay: float) -> None:
        await self._clock.sleep(delay)
        self._timer = None
        # An early wake-up (loop clock resolution) is harmless: reserve re-checks the time.
        self._pump()


# --------------------------------------------------------------------------- helpers


def _validate_limits(limits: object) -> tuple[tuple[int, float], ...]:
    if isinstance(limits, (str, bytes)) or not isinstance(limits, Sequence):
        raise ConfigurationError(
            f"limits must be a sequence of (max_requests, window_seconds) pairs, got {limits!r}"
        )
    if not limits:
        raise ConfigurationError("limits is empty; pass limits=None to disable rate limiting")
    by_window: dict[float, int] = {}
    for pair in limits:
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ConfigurationError(
                f"each limit must be a (max_requests, window_seconds) pair, got {pair!r}"
            )
        count, window = pair
        if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
            raise ConfigurationError(
                f"max requests must be a positive int, got {count!r} in limit {pair!r}"
            )
        if (
            isinstance(window, bool)
            or not isinstance(window, (int, float))
            or not math.isfinite(window)
            or window <= 0
        ):
            raise ConfigurationError(
                f"window seconds must be a positive finite number, got {window!r} in limit {pair!r}"
            )
        if float(window) in by_window:
            raise ConfigurationError(f"two limits share the window {window!r}: {limits!r}")
        by_window[float(window)] = count
    return tuple(sorted(((n, w) for w, n in by_window.items()), key=lambda p: p[1]))


def _parse_count(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except (AttributeError, ValueError):
        return None
