"""Where the library reads the time and sleeps: the real clock, and a virtual one for tests.

Everything that waits (the limiter, retries, bans, deadlines) takes one :class:`Clock`, so a
client and its limiter always agree on what "in 5 seconds" means.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable
from typing import Protocol, TypeVar

__all__ = ["SYSTEM_CLOCK", "Clock", "FakeClock", "SystemClock"]

_T = TypeVar("_T")


class Clock(Protocol):
    """Where the limiter reads the time and sleeps; both must use the same time base.

    A clock that runs faster than real time (the benchmarks shrink a store's windows) may
    say so with a ``scale`` attribute, real seconds per clock second: the Redis-shared
    limiter, which keeps real milliseconds, reads it.
    """

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


SYSTEM_CLOCK = SystemClock()
"""The one real clock: clients that share it share limiters (see ``_limiter_registry``)."""
