"""Rate limiting of the fake store: strict sliding logs, rejections and bans.

Jumpseller limits requests per store in several windows at once (per second and per
minute) and bans a store for a while after too many rejected requests. The fake is used
to prove that a client never exceeds the limits, so the windows are exact sliding logs,
not token buckets or fixed windows that would forgive bursts at a window edge.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Clock", "Decision", "Limits", "SlidingWindowLog", "StoreRateLimiter"]

Clock = Callable[[], float]
Limits = Sequence[tuple[int, float]]


def _validate(limits: Limits) -> tuple[tuple[int, float], ...]:
    checked = tuple((int(count), float(seconds)) for count, seconds in limits)
    for count, seconds in checked:
        if count < 1 or seconds <= 0:
            raise ValueError(
                f"invalid window ({count}, {seconds}): need count >= 1 and seconds > 0"
            )
    return checked


class SlidingWindowLog:
    """Admits a request only if every window ``(count, seconds)`` holds fewer than ``count``
    admitted requests in the half-open interval ``(now - seconds, now]``.

    A rejected request consumes no slot: clients that retry too early are punished by the
    ban counter, not by a longer wait.
    """

    def __init__(self, limits: Limits, clock: Clock = time.monotonic) -> None:
        self.limits = _validate(limits)
        self.clock = clock
        self._admitted: list[deque[float]] = [deque() for _ in self.limits]
        # Attempts (admitted or not) are logged separately so a benchmark can see how hard
        # a client pushed, not just how much got through.
        self._attempts: list[deque[float]] = [deque() for _ in self.limits]
        self.max_admitted: list[int] = [0] * len(self.limits)
        self.max_attempted: list[int] = [0] * len(self.limits)

    def _expire(self, now: float) -> None:
        for (_, seconds), admitted, attempts in zip(
            self.limits, self._admitted, self._attempts, strict=True
        ):
            edge = now - seconds
            while admitted and admitted[0] <= edge:
                admitted.popleft()
            while attempts and attempts[0] <= edge:
                attempts.popleft()

    def hit(self, now: float | None = None) -> bool:
        """Record one request at ``now``; True if admitted."""
        if now is None:
            now = self.clock()
        self._expire(now)
        for i, attempts in enumerate(self._attempts):
            attempts.append(now)
            self.max_attempted[i] = max(self.max_attempted[i], len(attempts))
        if any(
            len(admitted) >= count
            for (count, _), admitted in zip(self.limits, self._admitted, strict=True)
        ):
            return False
        for i, admitted in enumerate(self._admitted):
            admitted.append(now)
            self.max_admitted[i] = max(self.max_admitted[i], len(admitted))
        return True

    def remaining(self, now: float | None = None) -> tuple[int, ...]:
        """Free slots per window at ``now``."""
        if now is None:
            now = self.clock()
        self._expire(now)
        return tuple(
            max(0, count - len(admitted))
            for (count, _), admitted in zip(self.limits, self._admitted, strict=True)
        )

    def retry_after(self, now: float | None = None) -> float:
        """Seconds until every window has a free slot (0.0 if one is free now)."""
        if now is None:
            now = self.clock()
        self._expire(now)
        wait = 0.0
        for (count, seconds), admitted in zip(self.limits, self._admitted, strict=True):
            if len(admitted) >= count:
                # The slot frees when the oldest entry that keeps the window full leaves it.
                wait = max(wait, admitted[len(admitted) - count] + seconds - now)
        return wait


@dataclass(frozen=True)
class Decision:
    """Outcome of one request against a store's limits."""

    allowed: bool
    remaining: tuple[int, ...]
    banned_until: float | None = None
    """Clock time at which the ban ends, when the request was refused because of a ban."""
    ban_started: bool = False
    retry_after: float = 0.0


class _KeyState:
    __slots__ = ("banned_until", "log", "rejections")

    def __init__(self, log: SlidingWindowLog) -> None:
        self.log = log
        self.rejections = 0
        self.banned_until: float | None = None


class StoreRateLimiter:
    """Per-key sliding logs plus the ban that follows ``ban_after`` rejections.

    The server's side of the limits (what the fake enforces), not the client's
    :class:`jumpseller_async.RateLimiter`.
    """

    def __init__(
        self,
        limits: Limits,
        *,
        clock: Clock = time.monotonic,
        ban_after: int | None = 2000,
        ban_seconds: float = 300.0,
    ) -> None:
        self.limits = _validate(limits)
        self.clock = clock
        self.ban_after = ban_after
        self.ban_seconds = ban_seconds
        self._keys: dict[str, _KeyState] = {}

    def _state(self, key: str) -> _KeyState:
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _KeyState(SlidingWindowLog(self.limits, self.clock))
        return state

    def check(self, key: str, now: float | None = None) -> Decision:
        if now is None:
            now = self.clock()
        state = self._state(key)
        if state.banned_until is not None:
            if now < state.banned_until:
                return Decision(
                    False,
                    tuple(0 for _ in self.limits),
                    banned_until=state.banned_until,
                    retry_after=state.banned_until - now,
                )
            state.banned_until = None
        if state.log.hit(now):
            return Decision(True, state.log.remaining(now))
        state.rejections += 1
        if self.ban_after is not None and state.rejections >= self.ban_after:
            state.rejections = 0
            state.banned_until = now + self.ban_seconds
            return Decision(
                False,
                tuple(0 for _ in self.limits),
                banned_until=state.banned_until,
                ban_started=True,
                retry_after=self.ban_seconds,
            )
        return Decision(False, state.log.remaining(now), retry_after=state.log.retry_after(now))

    def remaining(self, key: str, now: float | None = None) -> tuple[int, ...]:
        return self._state(key).log.remaining(now)

    def rejections(self, key: str) -> int:
        """Rejections counted towards the next ban."""
        return self._state(key).rejections

    def log(self, key: str) -> SlidingWindowLog:
        return self._state(key).log

    def logs(self) -> dict[str, SlidingWindowLog]:
        return {key: state.log for key, state in self._keys.items()}

    def reset(self) -> None:
        self._keys.clear()
