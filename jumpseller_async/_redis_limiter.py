"""A store's rate budget shared through Redis by every process and machine that talks to it.

The windows live in Redis and one Lua script (``_redis_windows.lua``) applies the same
server-true rule as the in-process limiter, atomically and on Redis's clock: no two processes
can both take the last place of a window, and clocks of different machines never meet.
Learned limits, probes, placeholders and bans are shared the same way.

* **Fair**: within a process only the head of a FIFO queue asks Redis; across processes the
  script keeps a queue of waiting processes, oldest first, so none starves.
* **No hot polling**: a waiter sleeps until the moment the script says a place frees, and wakes
  early on a pub/sub event (a completion, an admission, a pause); it re-asks at least every
  ``REFRESH`` seconds to stay in the queue.
* **Crash-safe**: an admitted request holds a lease; a process that dies mid-request stops
  counting when the lease ends.
* **Fail-safe**: every Redis call has a short timeout. When Redis is unreachable the limiter
  logs one warning, carries on with the in-process limiter (which keeps adapting from headers,
  primed with what the store held), reconnects in the background and returns to Redis.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import math
import os
import random
import uuid
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager, suppress
from importlib import resources
from types import TracebackType
from typing import Any

from ._clock import Clock
from ._logthrottle import ThrottledLog
from ._ratelimit import (
    DEFAULT_LIMITS,
    LimiterStats,
    Limits,
    RateLimiter,
    Slot,
    SlotWaitExceeded,
    advertised,
    validate_limits,
)
from ._redact import get_logger
from ._storage import redact_storage

__all__ = ["RedisRateLimiter", "storage_identity"]

# Imported lazily, after the client swept our logger tree: get_logger attaches the filter itself.
logger = get_logger(__name__)

OP_TIMEOUT = 1.0
"""Seconds any one Redis call may take before Redis counts as down. A dead Redis refuses the
connection at once; this bounds a hung one. Shorter falls back on a merely busy Redis, and a
process that falls back stops sharing the budget (measured: 0.25 s did on a loaded machine)."""
REFRESH = 2.0
"""A waiting process re-asks at least this often (it leaves the queue after 3 s of silence)."""
STALE_MS = 3000
DEFAULT_LEASE = 120.0
"""Seconds an admitted request counts as in flight at most, should its process die."""
RECONNECT_DELAYS = (0.25, 0.5, 1.0, 2.0, 5.0)

_SCRIPT = resources.files(__package__).joinpath("_redis_windows.lua").read_text("utf-8")


def storage_identity(storage: object) -> object:
    """What makes two storages the same (a URL string, or the very client object)."""
    return storage if isinstance(storage, str) else id(storage)


class _Down(Exception):
    """Redis did not answer in time (or at all); the caller falls back."""


class _RedisSlot(Slot):
    """A slot admitted by Redis: its answer is reported to the shared state."""

    __slots__ = ("_redis_limiter", "server_ms", "token")

    def __init__(
        self, owner: RedisRateLimiter, token: str, server_ms: int, acquired_at: float, waited: float
    ) -> None:
        super().__init__(owner._fallback, None, acquired_at, waited)
        self._redis_limiter = owner
        self.token = token
        self.server_ms = server_ms

    def observe(self, headers: Mapping[str, str]) -> None:
        """Report an accepted answer's headers (sent to Redis in the background)."""
        self._outcome = True
        self._redis_limiter._spawn(self._redis_limiter._feedback(self, headers, False))

    async def feedback(
        self,
        headers: Mapping[str, str],
        *,
        refused: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self._outcome = not refused
        await self._redis_limiter._feedback(self, headers, refused)


class _Context(AbstractAsyncContextManager[Slot]):
    def __init__(self, limiter: RedisRateLimiter, max_wait: float | None) -> None:
        self._limiter = limiter
        self._max_wait = max_wait
        self._inner: AbstractAsyncContextManager[Slot] | None = None
        self._slot: Slot | None = None

    async def __aenter__(self) -> Slot:
        slot = await self._limiter._acquire(self._max_wait)
        if slot is None:  # Redis is down: the in-process limiter serves
            self._inner = self._limiter._fallback.slot(self._max_wait)
            slot = await self._inner.__aenter__()
        self._slot = slot
        return slot

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._inner is not None:
            await self._inner.__aexit__(exc_type, exc, tb)
            return
        slot, self._slot = self._slot, None
        if isinstance(slot, _RedisSlot):
            await self._limiter._complete(slot)


class RedisRateLimiter:
    """The :class:`~jumpseller_async._ratelimit.Limiter` of one store, kept in Redis."""

    def __init__(
        self,
        storage: Any,
        key: str,
        limits: Limits = DEFAULT_LIMITS,
        *,
        explicit: bool = False,
        clock: Clock,
        learn: bool = True,
        lease: float = DEFAULT_LEASE,
    ) -> None:
        self._initial = validate_limits(limits)
        self._ceilings: dict[float, int] = {w: n for n, w in self._initial} if explicit else {}
        self._learn = learn
        self._clock = clock
        # Redis keeps real milliseconds; a clock may run faster than real time (benchmarks scale
        # the fake store's windows down), and says so with `scale`: real seconds per its second.
        self._scale = float(getattr(clock, "scale", 1.0))
        self._lease_ms = self._ms(lease)
        self._storage = storage
        self._redis: Any = None
        self._script: Any = None
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        self._prefix = f"jumpseller:rl:{{{digest}}}:"
        self._channel = self._prefix + "events"
        self._waiter = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._fallback = RateLimiter(self._initial, explicit=explicit, clock=clock, learn=learn)
        self.stats: LimiterStats = self._fallback.stats
        self.banned_until: dt.datetime | None = None
        self._known_limits = self._initial
        self._last_counts: dict[float, int] = {}
        self._down = False
        self._reconnecting: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._turn: asyncio.Lock | None = None
        self._generation = 0
        self._changed: asyncio.Event | None = None
        self._local_pause_until = -math.inf
        self._background: set[asyncio.Task[Any]] = set()
        self._rng = random.Random()
        self._warn = ThrottledLog(logger, logging.WARNING, every=10.0, clock=clock)

    # -- the Limiter interface ---------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return True

    @property
    def limits(self) -> tuple[tuple[int, float], ...]:
        """The effective limits as last seen in Redis (the in-process ones while it is down)."""
        return self._fallback.limits if self._down else self._known_limits

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def shared(self) -> bool:
        """True while the budget is shared through Redis (False during an outage)."""
        return not self._down

    def slot(self, max_wait: float | None = None) -> AbstractAsyncContextManager[Slot]:
        return _Context(self, max_wait)

    def tighten(self, limits: Limits) -> None:
        for count, window in validate_limits(limits):
            self._ceilings[window] = min(count, self._ceilings.get(window, count))
        self._fallback.tighten(limits)

    def pause_until(self, deadline: float, *, banned_until: dt.datetime | None = None) -> None:
        if banned_until is not None:
            self.banned_until = banned_until
        self._local_pause_until = max(self._local_pause_until, deadline)
        self._fallback.pause_until(deadline, banned_until=banned_until)
        seconds = deadline - self._clock.monotonic()
        if seconds > 0 and not self._down:
            iso = "" if banned_until is None else banned_until.isoformat()
            self._spawn(self._call("pause", str(self._ms(seconds)), iso))

    def paused_for(self) -> float:
        return max(0.0, self._local_pause_until - self._clock.monotonic())

    async def aclose(self) -> None:
        """Stop the background tasks and close a Redis client this limiter created."""
        for task in (self._listener, self._reconnecting, *self._background):
            if task is not None:
                task.cancel()
        for task in (self._listener, self._reconnecting, *self._background):
            if task is not None:
                with suppress(BaseException):
                    await task
        if self._redis is not None and isinstance(self._storage, str):
            with suppress(Exception):
                await self._redis.aclose()

    # -- Redis plumbing ----------------------------------------------------------------------

    def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio as aioredis

            if isinstance(self._storage, str):
                self._redis = aioredis.Redis.from_url(
                    self._storage,
                    socket_timeout=OP_TIMEOUT,
                    socket_connect_timeout=OP_TIMEOUT,
                    retry_on_timeout=False,
                )
            else:
                self._redis = self._storage
            self._script = self._redis.register_script(_SCRIPT)
        return self._redis

    def _ms(self, seconds: float) -> int:
        """Clock seconds as real milliseconds, for Redis."""
        return max(0, math.ceil(seconds * self._scale * 1000))

    def _seconds(self, ms: int) -> float:
        return ms / 1000 / self._scale

    def _windows_args(self) -> list[str]:
        args = [str(len(self._initial))]
        for count, window in self._initial:
            args += [
                str(self._ms(window)),
                str(count),
                str(self._ceilings.get(window, 0)),
                "1" if self._learn else "0",
            ]
        return args

    async def _call(self, command: str, *args: str) -> Any:
        """Run one command of the script, or raise _Down (Redis unreachable or too slow)."""
        if self._down:
            raise _Down
        try:
            self._client()
            return await asyncio.wait_for(
                self._script(keys=[self._prefix], args=[command, *args]), OP_TIMEOUT
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if _is_script_error(exc):
                raise
            self._mark_down(exc)
            raise _Down from None

    def _mark_down(self, exc: BaseException) -> None:
        if self._down:
            return
        self._down = True
        where = redact_storage(self._storage) if isinstance(self._storage, str) else "Redis"
        logger.warning(
            "rate-limit storage %s unreachable (%s): using the in-process limiter until it is "
            "back; reconnecting in the background",
            where,
            type(exc).__name__,
        )
        # The in-process limiter has seen none of the store's recent requests: prime it
        # with the occupancy Redis last reported, for one window length.
        now = self._clock.monotonic()
        for window, count in self._last_counts.items():
            self._fallback.backend.add_phantoms(count, now, window)
        # The other processes fall back too, none seeing the others: scout, don't burst.
        self._fallback.scout()
        if self._listener is not None:
            self._listener.cancel()
            self._listener = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = loop.create_task(
                self._reconnect(), name="jumpseller-ratelimit-reconnect"
            )

    async def _reconnect(self) -> None:
        attempt = 0
        while True:
            delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
            await self._clock.sleep(delay * self._rng.uniform(0.8, 1.2))
            attempt += 1
            try:
                await asyncio.wait_for(self._client().ping(), OP_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception:
                continue
            self._down = False
            logger.warning("rate-limit storage is back: the store's budget is shared again")
            return

    def _spawn(self, coroutine: Any) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coroutine)
        except RuntimeError:
            coroutine.close()
            return
        self._background.add(task)
        task.add_done_callback(self._settle_background)

    def _settle_background(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a _Down here was already logged by _mark_down

    # -- waking ------------------------------------------------------------------------------

    def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(
                self._listen(), name="jumpseller-ratelimit-events"
            )

    async def _listen(self) -> None:
        pubsub = self._client().pubsub()
        try:
            await asyncio.wait_for(pubsub.subscribe(self._channel), OP_TIMEOUT)
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None:
                    self._notify()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._mark_down(exc)
        finally:
            with suppress(BaseException):
                await asyncio.wait_for(pubsub.aclose(), OP_TIMEOUT)

    def _notify(self) -> None:
        self._generation += 1
        if self._changed is not None:
            self._changed.set()

    async def _sleep_or_event(self, seconds: float, generation: int) -> None:
        if self._generation != generation:
            return  # something changed while we were asking
        if self._changed is None:
            self._changed = asyncio.Event()
        self._changed.clear()
        event = asyncio.ensure_future(self._changed.wait())
        timer = asyncio.ensure_future(self._clock.sleep(seconds))
        waiting: list[asyncio.Future[Any]] = [event, timer]
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            event.cancel()
            timer.cancel()

    # -- admission ---------------------------------------------------------------------------

    async def _acquire(self, max_wait: float | None) -> Slot | None:
        """A Redis slot, or None when Redis is down (the caller uses the fallback)."""
        if self._down:
            return None
        started = self._clock.monotonic()
        deadline = math.inf if max_wait is None else started + max_wait
        if self._turn is None:
            self._turn = asyncio.Lock()  # FIFO: asyncio.Lock wakes waiters in order
        turn = self._turn
        try:
            if max_wait is None:
                await turn.acquire()
            else:
                await asyncio.wait_for(turn.acquire(), max(0.0, max_wait))
        except asyncio.TimeoutError:
            self.stats.wait_exceeded += 1
            raise SlotWaitExceeded(
                self._clock.monotonic() - started, None, self.banned_until
            ) from None
        try:
            return await self._compete(started, deadline)
        finally:
            turn.release()

    async def _compete(self, started: float, deadline: float) -> Slot | None:
        token = uuid.uuid4().hex
        queued = False
        asked = 0
        try:
            while True:
                generation = self._generation
                try:
                    reply = await self._call(
                        "reserve",
                        token,
                        self._waiter,
                        str(self._lease_ms),
                        str(STALE_MS),
                        *self._windows_args(),
                    )
                except _Down:
                    return None
                admitted, wait_ms, paused, server_ms, extra, lease_ms = reply
                asked += 1
                now = self._clock.monotonic()
                if admitted:
                    queued = False
                    self._remember(extra)
                    self.stats.admitted += 1
                    waited = now - started
                    if asked > 1:
                        self.stats.waits += 1
                        self.stats.waited_seconds += waited
                    return _RedisSlot(self, token, int(server_ms), now, waited)
                queued = True
                banned = extra.decode() if isinstance(extra, bytes) else str(extra or "")
                if banned:
                    with suppress(ValueError):
                        self.banned_until = dt.datetime.fromisoformat(banned)
                wait = math.inf if int(wait_ms) < 0 else self._seconds(int(wait_ms))
                if math.isinf(wait) and int(lease_ms) >= 0:
                    wait = self._seconds(int(lease_ms))  # re-ask when a lease may have run out
                if paused and now + wait > deadline:
                    self.stats.wait_exceeded += 1
                    raise SlotWaitExceeded(now - started, wait, self.banned_until)
                if now >= deadline:
                    self.stats.wait_exceeded += 1
                    raise SlotWaitExceeded(now - started, None, self.banned_until)
                self._ensure_listener()
                await self._sleep_or_event(min(wait, REFRESH, deadline - now), generation)
        except BaseException:
            if queued and not self._down:
                self._spawn(self._quietly("forget", self._waiter))
            raise

    def _window_of(self, ms: int) -> float:
        return min((w for _, w in self._initial), key=lambda w: abs(self._ms(w) - ms))

    def _remember(self, limits_reply: Any) -> None:
        text = limits_reply.decode() if isinstance(limits_reply, bytes) else str(limits_reply)
        numbers = [int(n) for n in text.split(",") if n]
        if len(numbers) == len(self._initial):
            self._known_limits = tuple(
                (n, w) for n, (_, w) in zip(numbers, self._initial, strict=True)
            )

    async def _quietly(self, command: str, *args: str) -> None:
        with suppress(_Down):
            await self._call(command, *args)

    async def _complete(self, slot: _RedisSlot) -> None:
        accepted = {True: "1", False: "0", None: "-1"}[slot._outcome]
        with suppress(_Down):  # when Redis is away, the lease ends it there
            await self._call("complete", slot.token, accepted, *self._windows_args())

    async def _feedback(self, slot: _RedisSlot, headers: Mapping[str, str], refused: bool) -> None:
        limits, remaining = advertised(headers)
        if limits:
            # The in-process limiter keeps adapting too, for when Redis is away. Only the
            # limits: its windows do not see the store's requests, so -Remaining would mislead.
            self._fallback.observe(
                {name: value for name, value in headers.items() if name.lower().endswith("limit")}
            )
        try:
            if limits or remaining:
                await self._observe(slot, limits, remaining)
            if not refused:
                return
            self.stats.rate_limited += 1
            if limits or remaining:
                self._warn.log("rate limited (HTTP 429/403); windows left: %s", remaining or "?")
                await self._fill(remaining)
                return
            reply = await self._call("learn", slot.token, *self._windows_args())
            if int(reply[0]) == 2:
                return  # sent before the last lesson: it teaches nothing new
            if int(reply[0]) == 1:
                window = self._window_of(int(reply[1]))
                old, new = int(reply[2]), int(reply[3])
                self.stats.lowered += 1
                self._warn.log(
                    "rate limited without limit headers: the %gs window allows fewer than we "
                    "believed; lowered %d -> %d (shared; probing back up slowly)",
                    window,
                    old,
                    new,
                )
            else:
                self._warn.log(
                    "rate limited without limit headers: another consumer shares this store"
                )
                await self._fill({}, shortest_only=True)
        except _Down:
            if refused:
                self._fallback.refused(None, None, headers)

    async def _observe(
        self, slot: _RedisSlot, limits: dict[float, int], remaining: dict[float, int]
    ) -> None:
        tail: list[str] = []
        for _, window in self._initial:
            tail += [str(limits.get(window, -1)), str(remaining.get(window, -1))]
        missing = await self._call(
            "observe", str(slot.server_ms), uuid.uuid4().hex, *self._windows_args(), *tail
        )
        strangers = sum(int(m) for m in missing)
        if strangers > 0:
            self.stats.phantoms += strangers
            self._warn.log(
                "server reports fewer requests left than every process sharing this budget "
                "accounts for: another consumer shares this store"
            )

    async def _fill(self, remaining: Mapping[float, int], *, shortest_only: bool = False) -> None:
        """Fill the windows a refusal says are spent (or the shortest) for a jittered while."""
        windows = [w for _, w in self._known_limits]
        spent = [w for w in windows if remaining.get(w, 0) <= 0]
        if shortest_only or not spent:
            spent = [min(windows)]
        tail: list[str] = []
        for count, window in self._known_limits:
            if window in spent:
                duration = window * self._rng.uniform(0.5, 1.0)
                tail += [str(count), str(self._ms(duration))]
            else:
                tail += ["0", "0"]
        await self._call("fill", uuid.uuid4().hex, *self._windows_args(), *tail)


def _is_script_error(exc: BaseException) -> bool:
    """A bug in our script (a ResponseError), as opposed to Redis being unreachable."""
    try:
        from redis.exceptions import ResponseError
    except ImportError:  # pragma: no cover - redis is installed when this runs
        return False
    return isinstance(exc, ResponseError) and "NOSCRIPT" not in str(exc)
