"""One store's window bookkeeping, in process memory: who occupies which window, and what we believe.

The admission rule and why it is server-true are in :mod:`jumpseller_async._ratelimit`. This
module keeps the state that rule reads, plus what the limiter has *learned* about the store:

* **placeholders** for requests that are not ours (another consumer, a refusal's back-off) are
  kept as ``(expiry, count)`` blocks, so a header claiming a billion of them costs one entry;
* **proven** counts: the largest count a window held when the server still accepted a request.
  A window whose limit no header confirmed is *gated*: above its proven count only a few
  requests (probes) may be in flight at once — half the proven count, like TCP's slow start, or
  one at a time once the window has been refused — so a belief that is too high costs a few
  refusals, not a burst of them, and ramps up in a handful of round trips;
* a **share**: uncoordinated consumers of one store (processes without a shared limiter) each
  cap what they admit per window; the limiter sizes it from the headers (see
  ``RateLimiter._adapt_shares``), halves it on a refusal the headers blame on that window and
  adds back every few windows without one (AIMD, like TCP), so together they settle near the
  store's limit instead of all bursting to it. A *paced* share also spaces our requests
  ``window / share`` apart, so each one's answer shows the others' requests before the next;
* a header-less refusal **lowers** the belief of the window it most plausibly came from to what
  the server really admitted, and the belief then creeps back up one request at a time, slowly,
  never above what it was (which the limiter keeps within the caller's explicit ceiling).
  Counts here are the limiter's own, which run ahead of the server's (a request counts from
  admission to answer plus the window), so "proven" is a count in that measure too.
"""

from __future__ import annotations

import heapq
import itertools
import math
from bisect import bisect_right, insort
from collections.abc import Iterator, Sequence
from typing import NamedTuple, Protocol

__all__ = ["Lowering", "MemoryWindowBackend", "Reservation", "WindowBackend"]

RAISE_INTERVAL_FLOOR = 60.0
"""Seconds at least between two +1 probes of a lowered limit (10 window lengths if longer)."""
RAISE_INTERVAL_CEILING = 3600.0
"""Each failed probe doubles the interval, up to this."""


class Reservation(NamedTuple):
    """The answer of :meth:`WindowBackend.reserve`."""

    handle: int | None
    """Set when admitted: pass it to ``complete`` (or ``release``)."""
    wait: float
    """0.0 when admitted; else seconds until a slot may free, ``inf`` if only a completion can."""
    paused: bool = False
    """True when the wait is a pause (a ban or a server-requested wait), not a full window."""


class Lowering(NamedTuple):
    """A believed limit lowered after a refusal (for the log and the stats)."""

    window: float
    old: int
    new: int


class WindowBackend(Protocol):
    """The window state of one store, as the in-process :class:`RateLimiter` drives it.

    All times are on the limiter's clock. Methods are synchronous and atomic: :meth:`reserve`
    checks every window and records the entry in one step, which is what keeps it exact.
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

    def complete(self, handle: int, now: float, accepted: bool | None = None) -> None:
        """The request ended at ``now``; ``accepted``: the server processed it (not a refusal)."""
        ...

    def release(self, handle: int) -> None:
        """Forget a reservation whose request was never sent."""
        ...

    def count(self, window: float, at: float) -> int:
        """How many entries occupy the window of length ``window`` at time ``at``."""
        ...

    def add_phantoms(
        self, count: int, now: float, window: float, duration: float | None = None
    ) -> None:
        """Occupy ``count`` places of the ``window``-long window until ``now + duration``."""
        ...

    def pause(self, now: float, seconds: float) -> None:
        """Admit nothing before ``now + seconds`` (an earlier pause is never shortened)."""
        ...

    def paused_for(self, now: float) -> float:
        """Seconds left of the current pause (0.0 when not paused)."""
        ...

    def gate(self, windows: Sequence[float]) -> None:
        """Treat these windows' limits as unconfirmed: probe above the proven count."""
        ...

    def share(self, window: float) -> int | None:
        """This process's cap on the window, below the store's limit (None: no cap)."""
        ...

    def set_share(self, window: float, share: int | None, *, paced: bool = False) -> None:
        """Cap what this process admits in the window (others spend the rest), or lift it."""
        ...

    def confirm(self, window: float) -> None:
        """The server advertised this window's limit: trust it, stop probing and creeping."""
        ...

    def learn_refusal(self, handle: int, now: float) -> Lowering | bool:
        """A header-less refusal of ``handle``: lower the window it most plausibly exceeded.

        True when an earlier lesson already covers it, False when nothing explains it.
        """
        ...


class MemoryWindowBackend:
    """The in-process :class:`WindowBackend`.

    In-flight entries live in a dict; completed ones as a sorted list of completion times (an
    entry counts in window W while ``end + W > now``, so one list serves every window);
    placeholders as sorted ``(expiry, count)`` blocks per window.
    """

    def __init__(self) -> None:
        self._limits: tuple[tuple[int, float], ...] = ()
        self._in_flight: dict[int, float] = {}
        self._admitted_counts: dict[int, dict[float, int]] = {}
        self._ends: list[float] = []
        self._phantoms: dict[float, list[tuple[float, int]]] = {}
        self._paused_until = -math.inf
        # Never shrinks: if a longer window is added later, the entries it needs must still
        # be here.
        self._horizon = 0.0
        self._handles = itertools.count()
        self._gated: set[float] = set()
        self._proven: dict[float, int] = {}
        self._probes: dict[float, set[int]] = {}
        self._raise_cap: dict[float, int] = {}
        self._raise_every: dict[float, float] = {}
        self._raise_at: dict[float, float] = {}
        self._lowered_at: dict[float, float] = {}
        self._last_lowering = -math.inf
        self._shares: dict[float, int] = {}
        self._paced: float | None = None
        self._last_admitted = -math.inf

    # -- introspection (tests, stats) ------------------------------------------------------

    @property
    def limits(self) -> tuple[tuple[int, float], ...]:
        return self._limits

    @property
    def in_flight(self) -> int:
        """How many reserved requests have not completed."""
        return len(self._in_flight)

    @property
    def tracked(self) -> int:
        """Every stored entry: in flight, completed and placeholder blocks (for leak checks)."""
        return len(self._in_flight) + len(self._ends) + sum(map(len, self._phantoms.values()))

    def proven(self, window: float) -> int:
        """The largest count of ``window`` at which the server accepted one of our requests."""
        return self._proven.get(window, 0)

    def gated(self, window: float) -> bool:
        return window in self._gated

    # -- limits and learning ---------------------------------------------------------------

    def set_limits(self, limits: Sequence[tuple[int, float]]) -> None:
        self._limits = tuple(sorted(((int(n), float(w)) for n, w in limits), key=lambda p: p[1]))
        windows = {w for _, w in self._limits}
        if windows:
            self._horizon = max(self._horizon, *windows)
        self._phantoms = {w: ph for w, ph in self._phantoms.items() if w in windows}

    def _set_limit(self, window: float, limit: int) -> None:
        self.set_limits([(limit if w == window else n, w) for n, w in self._limits])

    def gate(self, windows: Sequence[float]) -> None:
        self._gated.update(float(w) for w in windows)

    def share(self, window: float) -> int | None:
        """This process's cap on the window, below the store's limit (None: no cap)."""
        return self._shares.get(window)

    @property
    def has_shares(self) -> bool:
        """Whether any window's share is capped."""
        return bool(self._shares)

    def set_share(self, window: float, share: int | None, *, paced: bool = False) -> None:
        """Cap what this process admits in the window (others spend the rest), or lift it.

        ``paced``: also space our requests ``window / share`` apart, until the share is lifted.
        Processes that see each other only through the answers' headers then send one request
        at a time and see the others' between two, instead of all spending their shares in
        the same instant when a window turns over.
        """
        if share is None:
            self._shares.pop(window, None)
            if self._paced == window:
                self._paced = None
            return
        self._shares[window] = max(1, share)
        if paced:
            self._paced = window

    def confirm(self, window: float) -> None:
        self._gated.discard(window)
        self._probes.pop(window, None)
        self._raise_at.pop(window, None)
        self._raise_cap.pop(window, None)

    def learn_refusal(self, handle: int, now: float) -> Lowering | bool:
        """Lower the window a header-less refusal most plausibly came from.

        Only requests admitted under the current beliefs teach anything: the others were
        sent before the last lesson (a burst's later refusals say what its first one said),
        and give True. Shortest window first, since a wrong guess there costs least; a
        window lowered within two of its lengths that is refused again was the wrong guess,
        so the next one is lowered instead. False when nothing explains the refusal (another
        consumer spends the budget).
        """
        admitted = self._in_flight.get(handle)
        counts = self._admitted_counts.get(handle)
        if admitted is None or not counts:
            return False
        if admitted < self._last_lowering:
            return True
        windows = [(w, n) for n, w in self._limits if w in counts]
        candidates = [(w, n) for w, n in windows if counts[w] > self._proven.get(w, 0)]
        for window, old in candidates or windows:
            if now - self._lowered_at.get(window, -math.inf) < 2 * window:
                continue
            new = max(1, counts[window] - 1)
            if new >= old:
                continue
            self._gated.add(window)
            self._proven[window] = min(self._proven.get(window, 0), new)
            again = window in self._raise_cap
            base = max(RAISE_INTERVAL_FLOOR, 10 * window)
            every = min(RAISE_INTERVAL_CEILING, self._raise_every[window] * 2) if again else base
            self._raise_every[window] = every
            self._raise_cap[window] = max(self._raise_cap.get(window, 0), old)
            self._raise_at[window] = now + every
            self._lowered_at[window] = self._last_lowering = now
            self._set_limit(window, new)
            return Lowering(window, old, new)
        return False

    def _creep_up(self, now: float) -> None:
        """Raise each lowered limit by one when its interval has passed without a refusal."""
        for window, due in list(self._raise_at.items()):
            if now < due:
                continue
            current = next((n for n, w in self._limits if w == window), None)
            cap = self._raise_cap[window]
            if current is None or current >= cap:
                self._raise_at.pop(window)
                continue
            self._set_limit(window, current + 1)
            self._raise_at[window] = now + self._raise_every[window]

    # -- admission -------------------------------------------------------------------------

    def prune(self, now: float) -> None:
        """Drop completed entries and placeholders that no window counts any more.

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
        for blocks in self._phantoms.values():
            k = bisect_right(blocks, (cutoff, math.inf))
            if k:
                del blocks[:k]

    def reserve(self, now: float) -> Reservation:
        self.prune(now)
        if now < self._paused_until:
            return Reservation(None, self._paused_until - now, paused=True)
        if self._raise_at:
            self._creep_up(now)
        wait = 0.0
        counts: dict[float, int] = {}
        for limit, window in self._limits:
            occupied, window_wait = self._occupancy(limit, window, now)
            share = self._shares.get(window)
            if share is not None and window_wait == 0.0:
                # The share caps our own requests; others' are already counted against the
                # limit as placeholders.
                window_wait = self._own_wait(share, window, now)
                if window == self._paced:
                    window_wait = max(window_wait, self._last_admitted + window / share - now)
            if (
                window_wait == 0.0
                and window in self._gated
                and occupied + 1 > self._proven.get(window, 0)
                and len(self._probes.get(window, ())) >= self.probe_allowance(window)
            ):
                window_wait = math.inf  # enough probes above the proven count in flight
            wait = max(wait, window_wait)
            counts[window] = occupied + 1
        if wait > 0.0:
            return Reservation(None, wait)
        handle = next(self._handles)
        self._in_flight[handle] = now
        self._last_admitted = now
        self._admitted_counts[handle] = counts
        for window in self._gated:
            if counts.get(window, 0) > self._proven.get(window, 0):
                self._probes.setdefault(window, set()).add(handle)
        return Reservation(handle, 0.0)

    def probe_allowance(self, window: float) -> int:
        """How many requests may be in flight above the proven count of a gated window."""
        if window in self._raise_cap:
            return 1  # refused before: the limit is near, go one at a time
        return max(1, self._proven.get(window, 0) // 2)

    def _alive_blocks(self, window: float, at: float) -> list[tuple[float, int]]:
        blocks = self._phantoms.get(window, [])
        return blocks[bisect_right(blocks, (at, math.inf)) :]

    def _occupancy(self, limit: int, window: float, now: float) -> tuple[int, float]:
        """How many entries occupy the window, and how long until it has room (0.0: now)."""
        ends = self._ends
        first_end = bisect_right(ends, now, key=lambda end: end + window)
        blocks = self._alive_blocks(window, now)
        expiring = (len(ends) - first_end) + sum(count for _, count in blocks)
        occupied = len(self._in_flight) + expiring
        if occupied < limit:
            return occupied, 0.0
        needed = occupied - limit + 1
        if needed > expiring:
            return occupied, math.inf  # only a completion can make room
        # Counts only fall between events, so the window opens at the needed-th expiry.
        expiries: Iterator[tuple[float, int]] = heapq.merge(
            ((ends[i] + window, 1) for i in range(first_end, len(ends))), blocks
        )
        freed = 0
        for opens_at, count in expiries:
            freed += count
            if freed >= needed:
                return occupied, opens_at - now
        return occupied, math.inf  # unreachable: needed <= expiring

    def _own_wait(self, share: int, window: float, now: float) -> float:
        """0.0 if our own requests in the window are fewer than ``share``, else how long."""
        ends = self._ends
        first_end = bisect_right(ends, now, key=lambda end: end + window)
        own = len(self._in_flight) + len(ends) - first_end
        if own < share:
            return 0.0
        needed = own - share + 1
        if needed > len(ends) - first_end:
            return math.inf  # only a completion can make room
        return ends[first_end + needed - 1] + window - now

    def complete(self, handle: int, now: float, accepted: bool | None = None) -> None:
        if self._in_flight.pop(handle, None) is None:
            return
        insort(self._ends, now)
        counts = self._admitted_counts.pop(handle, {})
        if accepted:
            for window, count in counts.items():
                if count > self._proven.get(window, 0):
                    self._proven[window] = count
        self._drop_probe(handle)

    def release(self, handle: int) -> None:
        self._in_flight.pop(handle, None)
        self._admitted_counts.pop(handle, None)
        self._drop_probe(handle)

    def _drop_probe(self, handle: int) -> None:
        for probes in self._probes.values():
            probes.discard(handle)

    def own_count(self, window: float, at: float) -> int:
        """Our requests in the window at ``at``: in flight since then, or completed (no placeholders)."""
        ends = self._ends
        first_end = bisect_right(ends, at, key=lambda end: end + window)
        in_flight = sum(1 for admitted in self._in_flight.values() if admitted <= at)
        return in_flight + len(ends) - first_end

    def strangers_seen(self, window: float, now: float) -> bool:
        """Whether a placeholder (someone else's request, a refusal's back-off) is alive."""
        return bool(self._alive_blocks(window, now))

    def count(self, window: float, at: float) -> int:
        ends = self._ends
        first_end = bisect_right(ends, at, key=lambda end: end + window)
        return (
            len(self._in_flight)
            + (len(ends) - first_end)
            + sum(count for _, count in self._alive_blocks(window, at))
        )

    def add_phantoms(
        self, count: int, now: float, window: float, duration: float | None = None
    ) -> None:
        limit = next((n for n, w in self._limits if w == window), None)
        if limit is None or count <= 0:
            return
        blocks = self._phantoms.setdefault(window, [])
        insort(blocks, (now + (window if duration is None else duration), min(count, limit)))
        # Whenever a dropped placeholder would still be alive, the `limit` later-expiring ones
        # are too and fill the window by themselves: dropping it changes no decision.
        excess = sum(c for _, c in blocks) - limit
        while excess > 0:
            expiry, first = blocks[0]
            if first <= excess:
                del blocks[0]
                excess -= first
            else:
                blocks[0] = (expiry, first - excess)
                excess = 0

    def pause(self, now: float, seconds: float) -> None:
        self._paused_until = max(self._paused_until, now + seconds)

    def paused_for(self, now: float) -> float:
        return max(0.0, self._paused_until - now)
