"""(a) Limiter efficiency against a strict sliding-window server, over real HTTP.

The server is :class:`FakeJumpseller` under uvicorn on 127.0.0.1, in a child process (a
real store is on another machine: sharing our event loop would slow its answers by our own
work), with Jumpseller's documented limits, 8 per second and 240 per minute, and by default
``time_scale=0.1``: its sliding windows last 0.1 s and 6 s. Our client runs on a clock
ten times faster (:class:`ScaledClock`), so it keeps its stock limits and reads the
server's rate-limit headers as in production. ``N`` GETs (pages of 20 products) are fired
at once with ``asyncio.gather``, with 0 ms and 50 ms of server latency at real scale (5 ms
at 0.1).

``python -m benchmarks --only limiter --scale 1.0`` runs it at real scale (windows of 1 s
and 60 s, 50 ms of latency; about 80 s per run, each client once per latency; with
``--quick``, ours at both latencies and the chained buckets at 50 ms only): the server's and
the client's own work per request, which is not scaled, then weighs against the windows as
it does in production.

The aiolimiter clients are what integrations write: one or two ``AsyncLimiter`` leaky
buckets in front of raw httpx requests, retrying a 429 straight away through the buckets
(up to ``MAX_ATTEMPTS`` times).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx
from aiolimiter import AsyncLimiter

from jumpseller_async import JumpsellerClient
from jumpseller_async._ratelimit import DEFAULT_LIMITS, RateLimiter
from jumpseller_async._windows import MemoryWindowBackend, Reservation
from jumpseller_async.api.products import get_products_json

from ._common import (
    Check,
    ChildServer,
    ScaledClock,
    Section,
    child_server,
    fmt,
    greedy_schedule,
    median,
    miss,
    progress,
)

TIME_SCALE = 0.1
"""The default scale: keeps a full run (``make bench``) near 5 minutes."""
LIMITS = ((8, 1.0), (240, 60.0))
LATENCIES = (0.0, 0.05)
"""Server latencies at real scale, in seconds; a run at scale ``s`` uses ``s`` times these."""
N_REQUESTS = 400
PAGE_SIZE = 20
MAX_ATTEMPTS = 50
TARGET_RATIO = 0.95
LOGIN = "bench-store"
TOKEN = "bench-token-0000000000000000000000"


@dataclass
class Run:
    client: str
    latency: float
    makespan: float
    rejections: int
    sent: int
    failed: int
    peak_short: int
    peak_long: int
    timed_out: bool = False
    replay: float | None = None
    loaded_round_trip: float | None = None
    early: int = 0
    lateness: tuple[float, ...] = ()
    phantoms: int = 0


class RecordingBackend(MemoryWindowBackend):
    """The stock window backend, also keeping every request's [admitted, completed]
    interval (in real seconds) so the run can be checked against the rule afterwards."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.scale = scale
        self.admitted: dict[int, float] = {}
        self.completed: dict[int, float] = {}

    def reserve(self, now: float) -> Reservation:
        reservation = super().reserve(now)
        if reservation.handle is not None:
            self.admitted[reservation.handle] = now * self.scale
        return reservation

    def complete(self, handle: int, now: float, accepted: bool | None = None) -> None:
        self.completed[handle] = now * self.scale
        super().complete(handle, now, accepted)

    def intervals(self) -> list[tuple[float, float]]:
        # A reservation released unsent has no completion and held its place only briefly.
        return sorted(
            (a, self.completed[h]) for h, a in self.admitted.items() if h in self.completed
        )


def audit(
    intervals: Sequence[tuple[float, float]], windows: Sequence[tuple[int, float]]
) -> tuple[int, list[float]]:
    """Each admission against the rule: (how many came too early, how late each came).

    Admission ``k`` may happen once fewer than ``limit`` earlier requests are in flight or
    completed within the last window, for every window, and not before admission k - 1.
    """
    early = 0
    lateness: list[float] = []
    completions: list[float] = []
    previous = intervals[0][0] if intervals else 0.0
    for k, (admitted, completed) in enumerate(intervals):
        opens = previous
        latest_first = sorted(completions, reverse=True)
        for limit, seconds in windows:
            if k >= limit:
                opens = max(opens, latest_first[limit - 1] + seconds)
        if admitted < opens - 1e-9:
            early += 1
        lateness.append(max(0.0, admitted - opens))
        completions.append(completed)
        previous = admitted
    return early, lateness


def scaled(scale: float) -> tuple[tuple[int, float], ...]:
    """The server's windows in real seconds at ``scale``."""
    return tuple((n, w * scale) for n, w in LIMITS)


def replay_rule(durations: Sequence[float], windows: Sequence[tuple[int, float]]) -> float:
    """Makespan of the limiter's admission rule with no overhead, given each request's
    round trip (in send order): request k goes, FIFO, at the first moment when fewer than
    ``limit`` earlier requests are in flight or completed within the last window."""
    admitted = 0.0
    completions: list[float] = []
    for k, duration in enumerate(durations):
        if completions:
            latest_first = sorted(completions, reverse=True)
            for limit, seconds in windows:
                if k >= limit:
                    admitted = max(admitted, latest_first[limit - 1] + seconds)
        completions.append(admitted + duration)
    return max(completions, default=0.0)


Fire = Callable[[str, int], Awaitable[int]]
"""Sends ``n`` GETs to a base URL; returns how many failed."""

_recording: list[tuple[RecordingBackend, RateLimiter]] = []
"""The window backend and limiter of the last run of our client, for the audit."""


def _ours(scale: float) -> Fire:
    async def fire(base_url: str, n: int) -> int:
        clock = ScaledClock(scale)
        backend = RecordingBackend(scale)
        # What JumpsellerClient builds by default, with the recording backend.
        limiter = RateLimiter(
            DEFAULT_LIMITS, explicit=False, clock=clock, backend=backend, scout=True
        )
        _recording[:] = [(backend, limiter)]
        async with JumpsellerClient(
            LOGIN, TOKEN, base_url=base_url, clock=clock, limiter=limiter
        ) as client:
            results = await asyncio.gather(
                *(
                    get_products_json.asyncio(client=client, page=page, limit=PAGE_SIZE)
                    for page in range(1, n + 1)
                ),
                return_exceptions=True,
            )
        return sum(isinstance(r, BaseException) for r in results)

    return fire


def _aiolimiter_client(limiters: Sequence[tuple[int, float]]) -> Fire:
    async def fire(base_url: str, n: int) -> int:
        # Fresh buckets per run: a bucket remembers its level.
        buckets = [AsyncLimiter(count, seconds) for count, seconds in limiters]
        failed = 0

        async def one(http: httpx.AsyncClient, page: int) -> None:
            nonlocal failed
            for _ in range(MAX_ATTEMPTS):
                for bucket in buckets:
                    await bucket.acquire()
                response = await http.get(
                    "/products.json", params={"page": page, "limit": PAGE_SIZE}
                )
                if response.status_code != 429:
                    response.json()
                    return
            failed += 1

        async with httpx.AsyncClient(base_url=base_url, auth=(LOGIN, TOKEN), timeout=30.0) as http:
            await asyncio.gather(*(one(http, page) for page in range(1, n + 1)))
        return failed

    return fire


OURS = "jumpseller-async"


def _clients(scale: float) -> dict[str, Fire]:
    """Ours, then the aiolimiter clients with buckets sized to the scaled windows."""
    (short_n, short_w), (long_n, long_w) = scaled(scale)
    return {
        OURS: _ours(scale),
        f"aiolimiter {long_n}/{long_w:g}s + {short_n}/{short_w:g}s": _aiolimiter_client(
            [(long_n, long_w), (short_n, short_w)]
        ),
        f"aiolimiter {long_n}/{long_w:g}s only": _aiolimiter_client([(long_n, long_w)]),
    }


def _server_options(
    latency: float, scale: float, run_in_background: bool = False
) -> dict[str, object]:
    # ban_after=None: a ban would stop the naive clients for 30 s and hide their makespan;
    # every rejection is counted either way.
    return {
        "seed": 1,
        "products": N_REQUESTS * PAGE_SIZE,
        "customers": 0,
        "orders": 0,
        "limits": LIMITS,
        "time_scale": scale,
        "latency": latency,
        "ban_after": None,
        "login": LOGIN,
        "authtoken": TOKEN,
        "run_in_background": run_in_background,
    }


async def _idle_round_trip(server: ChildServer, scale: float) -> float:
    """Median time of one GET on the idle server: the R of the safe bound."""
    async with httpx.AsyncClient(base_url=server.base_url, auth=(LOGIN, TOKEN)) as http:
        samples = []
        for _ in range(21):
            started = time.perf_counter()
            (await http.get("/products.json", params={"page": 1, "limit": PAGE_SIZE})).json()
            samples.append(time.perf_counter() - started)
            await asyncio.sleep(0.2 * scale)  # stay well under 8 per (scaled) second
    server.command("reset")
    return median(samples[1:])  # the first one also opened the connection


async def _run(
    server: ChildServer, name: str, fire: Fire, latency: float, budget: float, scale: float
) -> Run:
    server.command("reset")
    started = time.perf_counter()
    try:
        failed = await asyncio.wait_for(fire(server.base_url, N_REQUESTS), budget)
        timed_out = False
    except asyncio.TimeoutError:
        failed, timed_out = -1, True
    makespan = time.perf_counter() - started
    stats = server.command(f"stats {LIMITS[0][1]} {LIMITS[1][1]}")
    replay: float | None = None
    loaded: float | None = None
    early = phantoms = 0
    lateness: list[float] = []
    if name == OURS and _recording and not timed_out:
        backend, limiter = _recording[0]
        intervals = backend.intervals()
        durations = [end - start for start, end in intervals]
        replay = replay_rule(durations, scaled(scale))
        loaded = median(durations)
        early, lateness = audit(intervals, scaled(scale))
        # Phantoms (from -Remaining headers) would slow admissions beyond the audited rule.
        phantoms = limiter.stats.phantoms
    return Run(
        client=name,
        latency=latency,
        makespan=makespan,
        rejections=stats["rejections"],
        sent=stats["requests"],
        failed=failed,
        peak_short=stats["max_in_window"][0],
        peak_long=stats["max_in_window"][1],
        timed_out=timed_out,
        replay=replay,
        loaded_round_trip=loaded,
        early=early,
        lateness=tuple(lateness),
        phantoms=phantoms,
    )


def _combine(runs: Sequence[Run]) -> Run:
    """Repeated runs as one: the median makespan, every rejection, the highest peaks."""
    by_makespan = sorted(runs, key=lambda r: r.makespan)
    middle = by_makespan[(len(runs) - 1) // 2]
    return Run(
        client=middle.client,
        latency=middle.latency,
        makespan=middle.makespan,
        rejections=sum(r.rejections for r in runs),
        sent=sum(r.sent for r in runs),
        failed=sum(max(0, r.failed) for r in runs),
        peak_short=max(r.peak_short for r in runs),
        peak_long=max(r.peak_long for r in runs),
        timed_out=any(r.timed_out for r in runs),
        replay=middle.replay,
        loaded_round_trip=middle.loaded_round_trip,
        early=sum(r.early for r in runs),
        lateness=tuple(x for r in runs for x in r.lateness),
        phantoms=sum(r.phantoms for r in runs),
    )


def _row(runs: Sequence[Run], optimal: float, safe: float) -> list[str]:
    result = _combine(runs)
    makespan = fmt(result.makespan)
    if len(runs) > 1:
        spans = sorted(r.makespan for r in runs)
        makespan += f" ({len(runs)} runs: {spans[0]:.2f}-{spans[-1]:.2f})"
    if result.timed_out:
        makespan += " (timeout)"
    if result.failed > 0:
        makespan += f" ({result.failed} failed)"
    replay = result.replay
    return [
        result.client,
        f"{result.latency * 1000:.0f} ms",
        makespan,
        fmt(optimal),
        fmt(safe),
        "-" if replay is None else fmt(replay),
        fmt(optimal / result.makespan),
        fmt(safe / result.makespan),
        "-" if replay is None else fmt(replay / result.makespan),
        str(result.rejections),
        str(result.sent),
        str(result.peak_short),
        str(result.peak_long),
    ]


def _at(latency: float, scale: float) -> str:
    """The latency (as run) for labels, with the scale when it is not the default."""
    at = f"{latency * 1000:.0f} ms"
    return at if scale == TIME_SCALE else f"{at}, scale {scale:g}"


def _check(section: Section, runs: Sequence[Run], optimal: float, scale: float) -> None:
    result = _combine(runs)
    at = _at(result.latency, scale)
    ratio = optimal / result.makespan
    met = ratio >= TARGET_RATIO
    section.checks += [
        Check("limiter", f"makespan ratio at {at}", fmt(ratio), f">= {TARGET_RATIO}", met),
        Check(
            "limiter", f"rejections at {at}", str(result.rejections), "0", result.rejections == 0
        ),
    ]
    if not met:
        miss(f"limiter makespan ratio at {at}: {ratio:.3f} < {TARGET_RATIO}")
    if result.rejections:
        miss(f"limiter: {result.rejections} rejections at {at}")


async def run(quick: bool, scale: float = TIME_SCALE) -> list[Section]:
    """``scale``: the server's time scale (windows of ``scale`` s and ``60 * scale`` s),
    matched by the clients' clocks and buckets; latencies are ``LATENCIES`` times it.
    Away from the default every client runs once per latency (about 80 s at 1.0)."""
    n = N_REQUESTS
    repeats = 3 if not quick and scale == TIME_SCALE else 1
    windows = scaled(scale)
    clients = _clients(scale)
    (short_n, short_w), (long_n, long_w) = windows
    section = Section(
        title=f"(a) Limiter efficiency: {n} concurrent GETs, strict sliding windows "
        f"{short_n}/{short_w:g} s + {long_n}/{long_w:g} s",
        columns=[
            "client",
            "latency",
            "makespan s",
            "optimal s",
            "safe bound s",
            "rule replay s",
            "optimal/actual",
            "safe/actual",
            "replay/actual",
            "rejections",
            "sent",
            f"max in {short_w:g} s",
            f"max in {long_w:g} s",
        ],
    )
    for latency in (real * scale for real in LATENCIES):
        at = f"{latency * 1000:.0f} ms"
        optimal = latency + greedy_schedule(n, windows)[-1]
        budget = max(60.0, 6 * optimal)
        with child_server("fake", **_server_options(latency, scale)) as server:
            round_trip = await _idle_round_trip(server, scale)
            safe = greedy_schedule(n, windows, gap=round_trip)[-1] + round_trip
            names = list(clients)
            if quick:
                # --quick: ours at both latencies, the chained buckets at the second only.
                names = names[:1] if latency == 0.0 else names[:2]
            for name in names:
                runs = []
                for i in range(repeats if name == OURS else 1):
                    progress(f"limiter: {name}, latency {at}, scale {scale:g}, run {i + 1}")
                    runs.append(await _run(server, name, clients[name], latency, budget, scale))
                section.rows.append(_row(runs, optimal, safe))
                if name == OURS:
                    _check(section, runs, optimal, scale)
                    combined = _combine(runs)
                    late = sorted(combined.lateness)
                    section.notes.append(
                        f"latency {at}: idle round trip R = {round_trip * 1000:.2f} ms; our "
                        f"requests' median round trip in the run (admission to completion) "
                        f"= {(combined.loaded_round_trip or 0.0) * 1000:.2f} ms; audit of "
                        f"{len(late)} admissions: {combined.early} earlier than the rule "
                        f"allows, lateness median {median(late) * 1000:.2f} ms, "
                        f"p99 {late[int(0.99 * (len(late) - 1))] * 1000:.1f} ms, "
                        f"max {late[-1] * 1000:.1f} ms; phantom entries from headers: "
                        f"{combined.phantoms}"
                    )
                    section.checks.append(
                        Check(
                            "limiter",
                            f"admissions before the rule allows, {_at(latency, scale)}",
                            str(combined.early),
                            "0",
                            combined.early == 0,
                        )
                    )
        if not quick and latency == 0.0 and scale == TIME_SCALE:
            # The library's own server helper: its answers took 44 ms more before its
            # socket named IPPROTO_TCP (no TCP_NODELAY); this row keeps checking that.
            progress(f"limiter: {OURS} behind FakeJumpseller.run_in_background")
            options = _server_options(latency, scale, run_in_background=True)
            with child_server("fake", **options) as server:
                helper_trip = await _idle_round_trip(server, scale)
                result = await _run(server, OURS, clients[OURS], latency, budget, scale)
            result.client += " (run_in_background)"
            helper_safe = greedy_schedule(n, windows, gap=helper_trip)[-1] + helper_trip
            section.rows.append(_row([result], optimal, helper_safe))
            section.notes.append(
                "(run_in_background): the server started with the library's "
                "FakeJumpseller.run_in_background instead of benchmarks._common.serve; its "
                f"idle round trip is R = {helper_trip * 1000:.1f} ms, which its safe bound "
                "uses (47.7 ms before its socket named IPPROTO_TCP: Nagle + delayed ACK)"
            )
    section.notes += [
        f"windows: Jumpseller's 8/s and 240/min scaled by {scale:g}; server: FakeJumpseller "
        "under uvicorn in a child process, ban disabled; pages of 20 products",
        "optimal = L + the last stamp of the greedy schedule that stamps request k one window "
        "after request k - limit, for each window: no client can finish sooner",
        "safe bound = the same schedule with each window lengthened by R (idle round trip), "
        "plus R: the best a client can do when it cannot see where in [send, answer] the "
        "server stamps a request",
        "rule replay = our admission rule with zero overhead, replayed on the intervals "
        "(admission to completion) our requests had in the run; replay/actual is the "
        "implementation's own scheduling efficiency (timer and event-loop delays)",
        "audit: each admission recorded by the limiter's window backend, checked against "
        "the rule on the recorded intervals; lateness = admission minus the moment the rule "
        "allowed it (the tail is garbage-collector pauses and the first request's imports)",
        "sent = requests the server received, retries of rejected ones included (summed over "
        "repeated runs, as are rejections)",
    ]
    return [section]
