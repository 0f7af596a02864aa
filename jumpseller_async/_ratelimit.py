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
* ``observe(headers)`` adopts the advertised limits (clamped to sane bounds; within the
  caller's ceiling when the limits are ``explicit``) and trusts them; when the server's
  ``-Remaining`` is lower than ours implies, placeholders make up the difference: someone else
  is spending the same store budget.
* ``Slot.feedback`` reports each answer. A refusal with window headers fills the windows they
  say are spent for a jittered while (so processes that cannot see each other do not come back
  in a herd); a header-less refusal teaches the limiter the store's real limit (see
  :mod:`jumpseller_async._windows`): the believed limit drops to what the server admitted and
  creeps back up slowly, one probe at a time.
* ``pause_until(deadline)`` admits nothing before ``deadline`` (a ban, a ``Retry-After``).

The window state sits behind :class:`~jumpseller_async._windows.WindowBackend`;
:class:`RateLimiter` keeps the per-process parts: the FIFO queue, the timer and the clock. One
limiter serves every client of a store in a process (``_limiter_registry``); across processes
``_redis_limiter`` keeps the same state in Redis.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import random
from collections import deque
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, TypeAlias

from ._clock import SYSTEM_CLOCK, Clock
from ._headers import WINDOW_HEADERS
from ._logthrottle import ThrottledLog
from ._redact import get_logger
from ._windows import Lowering, MemoryWindowBackend, WindowBackend
from .errors import ConfigurationError

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_ADVERTISED_LIMIT",
    "Limiter",
    "LimiterStats",
    "Limits",
    "RateLimiter",
    "Slot",
    "SlotWaitExceeded",
]

logger = get_logger(__name__)

Limits: TypeAlias = Sequence[tuple[int, float]]
"""``(max requests, window seconds)`` pairs; every one of them applies at once."""

DEFAULT_LIMITS: tuple[tuple[int, float], ...] = ((8, 1.0), (240, 60.0))
"""The documented limits. The live API advertises higher ones, which ``observe`` adopts."""

SHARE_GROWTH_WINDOWS = 4
"""A share cut by a refusal grows back by an eighth of the limit (at least one request) about
every this many window lengths (jittered by a quarter)."""

CLEAR_WINDOWS = 2
"""A share doubles only after this many window lengths in which nobody else was counted: others
spend their share at the start of each window too, so one quiet answer proves nothing."""

MAX_ADVERTISED_LIMIT = 10_000
"""No store allows more per window; a larger advertised value is clamped (a hostile header
must not make the limiter allocate or admit without bound)."""

# Header names compared lowercased: a plain dict of headers is not case-insensitive.
_LOWER_WINDOWS: tuple[tuple[float, str, str], ...] = tuple(
    (window, limit.lower(), remaining.lower()) for window, limit, remaining in WINDOW_HEADERS
)


def advertised(headers: Mapping[str, str]) -> tuple[dict[float, int], dict[float, int]]:
    """Window length → advertised ``-Limit`` and ``-Remaining``, where valid, clamped."""
    lowered = {str(key).lower(): value for key, value in headers.items()}
    limits: dict[float, int] = {}
    remaining: dict[float, int] = {}
    for window, limit_name, remaining_name in _LOWER_WINDOWS:
        limit = _parse_count(lowered.get(limit_name))
        if limit is not None and limit > 0:
            limits[window] = min(limit, MAX_ADVERTISED_LIMIT)
        left = _parse_count(lowered.get(remaining_name))
        if left is not None:
            remaining[window] = min(max(left, 0), MAX_ADVERTISED_LIMIT)
    return limits, remaining


class SlotWaitExceeded(Exception):
    """No slot within the caller's ``max_wait``; the client turns it into RateLimitWaitError."""

    def __init__(self, waited: float, needed: float | None, banned_until: dt.datetime | None):
        super().__init__(f"no rate-limit slot within {waited:.3f}s")
        self.waited = waited
        self.needed = needed
        self.banned_until = banned_until


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
    """Refusals reported (``on_rate_limited`` or a refused ``feedback``)."""
    phantoms: int = 0
    """Placeholders added because ``-Remaining`` showed another consumer."""
    lowered: int = 0
    """Times a header-less refusal lowered a believed limit."""
    wait_exceeded: int = 0
    """Acquisitions given up because of ``max_wait``."""


class Slot:
    """One admitted request; report its answer with ``observe`` or ``feedback``."""

    __slots__ = ("_handle", "_limiter", "_outcome", "acquired_at", "waited")

    def __init__(
        self, limiter: RateLimiter, handle: int | None, acquired_at: float, waited: float
    ) -> None:
        self._limiter = limiter
        self._handle = handle
        self._outcome: bool | None = None
        self.acquired_at = acquired_at
        """Clock time the request was admitted (the start of its interval)."""
        self.waited = waited
        """Seconds it queued before admission."""

    def observe(self, headers: Mapping[str, str]) -> None:
        """Like :meth:`RateLimiter.observe`, knowing when this request was admitted."""
        self._limiter.observe(headers, sent_at=self.acquired_at)

    async def feedback(
        self,
        headers: Mapping[str, str],
        *,
        refused: bool = False,
        retry_after: float | None = None,
    ) -> None:
        """Report the answer: its headers, and whether it was a rate-limit refusal."""
        self._outcome = not refused
        if refused:
            self._limiter.refused(self._handle, retry_after, headers, sent_at=self.acquired_at)
        else:
            self.observe(headers)


class _SlotContext(AbstractAsyncContextManager[Slot]):
    def __init__(self, limiter: RateLimiter, max_wait: float | None) -> None:
        self._limiter = limiter
        self._max_wait = max_wait
        self._slot: Slot | None = None

    async def __aenter__(self) -> Slot:
        self._slot = await self._limiter._acquire(self._max_wait)
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
            self._limiter._complete(slot._handle, slot._outcome)


class Limiter(Protocol):
    """What a client needs of a limiter: the in-process one, or the Redis-shared one."""

    stats: LimiterStats
    banned_until: dt.datetime | None

    @property
    def enabled(self) -> bool: ...

    @property
    def limits(self) -> tuple[tuple[int, float], ...]: ...

    @property
    def clock(self) -> Clock: ...

    def slot(self, max_wait: float | None = None) -> AbstractAsyncContextManager[Slot]: ...

    def tighten(self, limits: Limits) -> None: ...

    def pause_until(self, deadline: float, *, banned_until: dt.datetime | None = None) -> None: ...

    def paused_for(self) -> float: ...


class RateLimiter:
    """Admits requests so that no window of any limit is ever exceeded, in FIFO order.

    ``limits=None`` disables limiting (``slot()`` never waits; the other methods do nothing).
    With ``explicit=True`` the given limits are a ceiling: advertised limits can lower them,
    never raise them. Otherwise the advertised limits replace them. With ``learn=True`` (what
    :class:`~jumpseller_async.JumpsellerClient` uses for a caller's explicit limits) limits that
    no header has confirmed are probed rather than trusted: above the count the server has
    accepted, only a few requests at a time (see :mod:`jumpseller_async._windows`).

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
        learn: bool = False,
        rng: random.Random | None = None,
        scout: bool = False,
    ) -> None:
        self._clock: Clock = clock if clock is not None else SYSTEM_CLOCK
        self._backend: WindowBackend = backend if backend is not None else MemoryWindowBackend()
        self.stats = LimiterStats()
        self._enabled = limits is not None
        self._ceilings: dict[float, int] = {}
        self._rng = rng or random.Random()
        self._warn = ThrottledLog(logger, logging.WARNING, every=10.0, clock=self._clock)
        self.banned_until: dt.datetime | None = None
        """The end of the store's rate-limit ban, while one is known."""
        self._share_cut_at: dict[float, float] = {}
        self._share_grow_at: dict[float, float] = {}
        self._scouting: set[float] = set()
        self._others_seen_at: dict[float, float] = {}
        self._roomy_at = -math.inf
        if limits is not None:
            validated = validate_limits(limits)
            if explicit:
                self._ceilings = {w: n for n, w in validated}
            self._backend.set_limits(validated)
            if learn:
                self._backend.gate([w for _, w in validated])
            if scout:
                self.scout()
        # Futures resolve to (handle, admission time); FIFO by construction.
        self._waiters: deque[asyncio.Future[tuple[int, float]]] = deque()
        self._timer: asyncio.Task[None] | None = None
        self._timer_deadline = math.nan

    @property
    def enabled(self) -> bool:
        """False when the limiter was built with ``limits=None`` (it never waits)."""
        return self._enabled

    @property
    def limits(self) -> tuple[tuple[int, float], ...]:
        """The effective ``(max requests, window seconds)`` pairs; ``()`` when disabled."""
        return self._backend.limits if self._enabled else ()

    @property
    def ceilings(self) -> dict[float, int]:
        """The caller's explicit limits per window (advertised limits never exceed them)."""
        return dict(self._ceilings)

    @property
    def clock(self) -> Clock:
        """The clock the limiter reads and sleeps on."""
        return self._clock

    @property
    def backend(self) -> WindowBackend:
        """Where the windows' admissions are recorded (memory, or shared)."""
        return self._backend

    def slot(self, max_wait: float | None = None) -> AbstractAsyncContextManager[Slot]:
        """Wait (FIFO) for room in every window; the request's interval ends on exit.

        With ``max_wait``, give up after that many seconds (or at once when a known pause
        outlasts it) with :class:`SlotWaitExceeded`; nothing is reserved then.
        """
        return _SlotContext(self, max_wait)

    def tighten(self, limits: Limits) -> None:
        """Add a ceiling: no window's limit may exceed these (another client's explicit limits)."""
        if not self._enabled:
            return
        for count, window in validate_limits(limits):
            self._ceilings[window] = min(count, self._ceilings.get(window, count))
        current = {w: n for n, w in self._backend.limits}
        for window, ceiling in self._ceilings.items():
            current[window] = min(ceiling, current.get(window, ceiling))
        self._backend.set_limits([(n, w) for w, n in current.items()])

    def scout(self) -> None:
        """Start over as a process that cannot see who else spends the store's budget.

        One request in the shortest window, widened as the answers' headers show who else
        counts (see ``_adapt_shares``), instead of bursting into the others' first burst.
        Longer windows need no scout: the first answer's ``-Remaining`` says what others spent
        of them long before we could.
        """
        backend = self._backend
        if not self._enabled or not isinstance(backend, MemoryWindowBackend) or not backend.limits:
            return
        shortest = backend.limits[0][1]
        backend.set_share(shortest, 1)
        self._scouting.add(shortest)
        self._share_grow_at.pop(shortest, None)
        self._others_seen_at.pop(shortest, None)

    # -- feedback from the server

    def observe(self, headers: Mapping[str, str], *, sent_at: float | None = None) -> None:
        """Learn from a response's rate-limit headers.

        Adopts advertised ``-Limit`` values for the 1 s and 60 s windows (clamped to
        ``MAX_ADVERTISED_LIMIT``; within the ceiling, if the limits are explicit; a missing
        window is added) and trusts them. A ``-Remaining`` below ``limit - our count`` means
        another consumer uses the store: placeholders make up the difference for a window.

        ``sent_at`` is when the request was admitted: our count is taken there, because the
        server counted at its stamp, after that, and entries that expired since would make
        the server look busier than it is. Without it, the count is taken now.
        """
        if not self._enabled:
            return
        self._grow_shares()
        limits, remaining = advertised(headers)
        current = {w: n for n, w in self._backend.limits}
        changed = False
        for window, limit in limits.items():
            ceiling = self._ceilings.get(window)
            target = limit if ceiling is None else min(ceiling, limit)
            self._backend.confirm(window)
            if current.get(window) != target:
                current[window] = target
                changed = True
        if changed:
            new_limits = tuple(sorted(((n, w) for w, n in current.items()), key=lambda p: p[1]))
            logger.debug("adopting advertised rate limits %s", new_limits)
            self._backend.set_limits(new_limits)

        now = self._clock.monotonic()
        at = now if sent_at is None else min(sent_at, now)
        if isinstance(self._backend, MemoryWindowBackend) and (
            self._scouting or self._share_grow_at or self._backend.has_shares
        ):
            self._adapt_shares(self._backend, current, remaining, at, now)
        for window, left in remaining.items():
            if window not in current:
                continue
            ours = self._backend.count(window, at)
            missing = (current[window] - ours) - left
            if missing > 0:
                self._warn.log(
                    "server reports %d left in the %gs window, we expected %d: "
                    "another consumer shares this store",
                    left,
                    window,
                    current[window] - ours,
                )
                self._backend.add_phantoms(missing, now, window)
                self.stats.phantoms += missing
        self._pump()

    def on_rate_limited(
        self, retry_after: float | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """Treat the windows a refusal's headers say are spent as full for a while.

        Full until ``now + retry_after`` if that is a positive number, else until
        ``now + window``. When the refusal's headers give a window's ``-Remaining`` above zero,
        that window is left alone: a per-second refusal must not stall a minute. Without any
        such header every window is filled. (The client reports refusals through
        :meth:`Slot.feedback`, which learns from header-less ones instead.)
        """
        self.stats.rate_limited += 1
        if not self._enabled:
            return
        _, remaining = advertised(headers or {})
        backoff = _positive(retry_after)
        now = self._clock.monotonic()
        spent = [pair for pair in self._backend.limits if remaining.get(pair[1], 0) <= 0]
        for limit, window in spent or [min(self._backend.limits, key=lambda pair: pair[1])]:
            self._backend.add_phantoms(limit, now, window, backoff)
        self._pump()

    def _cut_shares(self, remaining: Mapping[float, int], sent_at: float | None) -> None:
        """Halve this process's share of each spent window (once per lesson, like TCP)."""
        backend = self._backend
        if not isinstance(backend, MemoryWindowBackend):
            return
        now = self._clock.monotonic()
        for limit, window in backend.limits:
            if remaining.get(window, 1) > 0:
                continue
            # A burst's later refusals were sent before the cut and say nothing new.
            if sent_at is not None and sent_at < self._share_cut_at.get(window, -math.inf):
                continue
            current = backend.share(window) or limit
            shortest = window == backend.limits[0][1]
            backend.set_share(window, current // 2, paced=shortest)
            self._share_cut_at[window] = now
            self._share_grow_at[window] = now + self._growth_interval(window)
            logger.debug("share of the %gs window cut to %d", window, backend.share(window))

    def _adapt_shares(
        self,
        backend: MemoryWindowBackend,
        limits: Mapping[float, int],
        remaining: Mapping[float, int],
        at: float,
        now: float,
    ) -> None:
        """Size this process's shares from what the server counted besides our requests.

        Others counted in the shortest window (``limit - remaining`` above our own count at
        send time): while scouting, or when we thought we were alone, take the part of the
        limit we were using (ours / everyone's), paced, so uncoordinated processes that start
        together split the store instead of each bursting to its limit; AIMD tunes it from
        there. (Longer windows are only cut by refusals: one snapshot of who spent a minute's
        budget in its first second says little of the minute.) Nobody else counted for
        ``CLEAR_WINDOWS`` windows: double the share (lift it at the limit), like TCP's slow
        start. A window without a ``-Remaining`` header tells nothing: stop scouting it.
        """
        shortest = min(limits, default=None)
        for window in [w for w in self._scouting if w not in remaining]:
            self._lift_share(backend, window)
        for window, left in remaining.items():
            limit = limits.get(window)
            if limit is None:
                continue
            share = backend.share(window)
            own = backend.own_count(window, at)
            others = (limit - left) - own
            if others > 0:
                self._others_seen_at[window] = now
                if window == shortest and (share is None or window in self._scouting):
                    fair = max(1, limit * max(1, own) // (max(1, own) + others))
                    backend.set_share(window, fair, paced=True)
                    self._scouting.discard(window)
                    self._share_grow_at[window] = now + self._growth_interval(window)
                    logger.debug("others count in the %gs window: share %d", window, fair)
                elif (
                    window == shortest
                    and share is not None
                    and 2 * left >= limit
                    and now - self._roomy_at >= window
                ):
                    # Half the window unused with everyone counted: someone left. One more,
                    # once per window, fills the room long before additive growth would.
                    self._roomy_at = now
                    backend.set_share(window, share + 1)
            elif (
                share is not None
                and now - self._others_seen_at.get(window, -math.inf) >= CLEAR_WINDOWS * window
                and not backend.strangers_seen(window, now)
            ):
                if share * 2 >= limit:
                    self._lift_share(backend, window)
                else:
                    backend.set_share(window, share * 2)

    def _lift_share(self, backend: MemoryWindowBackend, window: float) -> None:
        backend.set_share(window, None)
        self._scouting.discard(window)
        self._share_grow_at.pop(window, None)

    def _growth_interval(self, window: float) -> float:
        # Jittered: processes cut by one refusal must not all grow back in the same window.
        return SHARE_GROWTH_WINDOWS * window * self._rng.uniform(0.75, 1.25)

    def _grow_shares(self) -> None:
        """Give back part of each cut share every few windows without a refusal."""
        backend = self._backend
        if not self._share_grow_at or not isinstance(backend, MemoryWindowBackend):
            return
        now = self._clock.monotonic()
        limits = {w: n for n, w in backend.limits}
        for window, due in list(self._share_grow_at.items()):
            if now < due:
                continue
            share = backend.share(window)
            limit = limits.get(window, 0)
            grown = None if share is None else share + max(1, limit // 8)
            if grown is None or grown >= limit:
                backend.set_share(window, None)
                del self._share_grow_at[window]
                continue
            backend.set_share(window, grown)
            self._share_grow_at[window] = now + self._growth_interval(window)

    def _fill_spent(self, remaining: Mapping[float, int], backoff: float | None) -> None:
        """Fill the windows whose ``-Remaining`` is spent (the shortest if none says so)."""
        spent = [pair for pair in self._backend.limits if remaining.get(pair[1], 0) <= 0]
        # Every window claims room, yet we were refused: back off the shortest one.
        self._fill(spent or [min(self._backend.limits, key=lambda pair: pair[1])], backoff)

    def _fill(self, windows: Sequence[tuple[int, float]], backoff: float | None) -> None:
        """Treat ``windows`` as full for ``backoff`` seconds, or a jittered part of each."""
        now = self._clock.monotonic()
        logger.debug("rate limited; backing off %s (retry_after=%r)", windows, backoff)
        for limit, window in windows:
            # Somewhere within the window the server's oldest entry leaves; clients that
            # cannot coordinate spread out instead of returning together.
            duration = backoff if backoff is not None else window * self._rng.uniform(0.5, 1.0)
            self._backend.add_phantoms(limit, now, window, duration)
        self._pump()

    def refused(
        self,
        handle: int | None,
        retry_after: float | None,
        headers: Mapping[str, str],
        *,
        sent_at: float | None = None,
    ) -> Lowering | None:
        """A request was refused for rate; learn what the refusal tells (see the module doc)."""
        self.stats.rate_limited += 1
        if not self._enabled:
            return None
        backoff = _positive(retry_after)
        limits, remaining = advertised(headers)
        if limits or remaining:
            # The server says which windows are spent: believe it.
            self.observe(headers, sent_at=sent_at)
            self._warn.log("rate limited (HTTP 429/403); windows left: %s", remaining or "?")
            self._cut_shares(remaining, sent_at)
            self._fill_spent(remaining, backoff)
            return None
        lesson = False if handle is None else self._backend.learn_refusal(handle, self._now())
        if backoff is not None:
            self._backend.pause(self._now(), backoff)
        if isinstance(lesson, Lowering):
            self.stats.lowered += 1
            self._warn.log(
                "rate limited without limit headers: the %gs window allows fewer than we "
                "believed; lowered %d -> %d (probing back up slowly)",
                lesson.window,
                lesson.old,
                lesson.new,
            )
            self._pump()
            return lesson
        if not lesson:
            # Not explained by our own count: another consumer. Back off the shortest window.
            self._warn.log("rate limited without limit headers: another consumer shares this store")
            shortest = min(self._backend.limits, key=lambda pair: pair[1])
            self._fill([shortest], backoff)
        return None

    def pause_until(self, deadline: float, *, banned_until: dt.datetime | None = None) -> None:
        """Admit nothing before ``deadline`` (on this limiter's clock), e.g. during a ban."""
        if banned_until is not None:
            self.banned_until = banned_until
        # Also when limiting is off: a ban or a Retry-After is the server's word, not ours.
        now = self._clock.monotonic()
        if deadline > now:
            logger.debug("paused for %.3fs", deadline - now)
            self._backend.pause(now, deadline - now)
            self._pump()

    def paused_for(self) -> float:
        """Seconds until the current pause (ban, server-requested wait) ends; 0.0 if none."""
        left = self._backend.paused_for(self._clock.monotonic())
        if left <= 0.0:
            self.banned_until = None
        return left

    # -- admission

    def _now(self) -> float:
        return self._clock.monotonic()

    async def _acquire(self, max_wait: float | None = None) -> Slot:
        now = self._clock.monotonic()
        if not self._enabled:
            return await self._acquire_unlimited(now, max_wait)
        if not self._waiters:
            handle, wait, paused = self._backend.reserve(now)
            if handle is not None:
                self.stats.admitted += 1
                return Slot(self, handle, now, 0.0)
            if max_wait is not None and paused and wait > max_wait:
                self.stats.wait_exceeded += 1
                raise SlotWaitExceeded(0.0, wait, self.banned_until)
        future: asyncio.Future[tuple[int, float]] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        self._pump()
        try:
            if max_wait is None:
                handle, admitted_at = await future
            else:
                handle, admitted_at = await self._wait_at_most(future, max_wait, now)
        except BaseException:
            if future.done() and not future.cancelled() and future.exception() is None:
                # Admitted, but cancelled (or out of time) before it could send: give it back.
                self._backend.release(future.result()[0])
                self.stats.admitted -= 1
            else:
                future.cancel()
                with suppress(ValueError):
                    self._waiters.remove(future)
            self._pump()
            raise
        self.stats.waits += 1
        self.stats.waited_seconds += admitted_at - now
        return Slot(self, handle, admitted_at, admitted_at - now)

    async def _acquire_unlimited(self, now: float, max_wait: float | None) -> Slot:
        pause = self._backend.paused_for(now)
        if pause > 0.0:
            if max_wait is not None and pause > max_wait:
                self.stats.wait_exceeded += 1
                raise SlotWaitExceeded(0.0, pause, self.banned_until)
            await self._clock.sleep(pause)
        self.stats.admitted += 1
        admitted_at = self._clock.monotonic()
        return Slot(self, None, admitted_at, admitted_at - now)

    async def _wait_at_most(
        self, future: asyncio.Future[tuple[int, float]], max_wait: float, started: float
    ) -> tuple[int, float]:
        # Timed on the limiter's clock, not the loop's, so a FakeClock drives it too.
        timer: asyncio.Future[Any] = asyncio.ensure_future(self._clock.sleep(max_wait))
        waiting: list[asyncio.Future[Any]] = [future, timer]
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
        if future.done():
            return future.result()
        self.stats.wait_exceeded += 1
        raise SlotWaitExceeded(self._clock.monotonic() - started, None, self.banned_until)

    def _complete(self, handle: int | None, accepted: bool | None = None) -> None:
        if handle is None:
            return
        self._backend.complete(handle, self._clock.monotonic(), accepted)
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
            handle, wait, _ = self._backend.reserve(now)
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


def _positive(seconds: float | None) -> float | None:
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return None
    return seconds


def validate_limits(limits: object) -> tuple[tuple[int, float], ...]:
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
        return int(str(value).strip())
    except ValueError:
        return None
