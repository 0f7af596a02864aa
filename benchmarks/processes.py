"""(g) Several processes on one store: in-memory limiters vs one budget shared through Redis.

The store is :class:`FakeJumpseller` with Jumpseller's 8/s and 240/min (sliding, counted on
arrival), windows shrunk by ``SCALE``, served over real HTTP (uvicorn) from this process,
which otherwise only waits on pipes. Each worker is a real child process
(``jumpseller_async._processes``, the engine of ``jumpseller-async demo --processes``) with its
own client on a :class:`ScaledClock`, stock limits, reading the store's headers; each exports
every product (pages of ``PAGE_SIZE``, 8 in flight) to its own file. A start barrier keeps
process start-up out of the makespan. The redis-server is a real one this benchmark starts on
a free port (``tests/_redis.py``; Debian's ``redis-server``).

Also here: the cost of one admission through Redis against the in-memory limiter (one process,
limits that never bind, side by side in one run); a Redis outage mid-run; and, in one process,
the header-less scenarios of issue 7 (limits believed twice too high; a ban after a refusal).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from jumpseller_async import JumpsellerClient
from jumpseller_async._clock import SYSTEM_CLOCK
from jumpseller_async._processes import FleetResult, run_fleet
from jumpseller_async._ratelimit import RateLimiter
from jumpseller_async._redis_limiter import RedisRateLimiter
from jumpseller_async.api.products import get_products_json
from jumpseller_async.testing import FakeJumpseller
from tests._redis import INSTALL_HINT, RedisServer

from ._common import (
    Check,
    ScaledClock,
    Section,
    child_server,
    fmt,
    greedy_schedule,
    miss,
    progress,
)

FLEET_SCALE = 1.0
"""(g1) runs at real scale: the windows and the latency are Jumpseller's own (about 4 minutes)."""
SCALE = 0.5
"""Windows of 0.5 s and 30 s: at 0.1 this shared 2-core machine cannot serve and parse
80 requests a second, and the CPU, not the limiter, sets the makespan (see the 0.1 row)."""
LIMITS = ((8, 1.0), (240, 60.0))
LATENCY = 0.05
"""Server latency at real scale (5 ms at 0.1)."""
PRODUCTS = 300
LONG_EXPORT = 1000
PAGE_SIZE = 10
"""Small pages: with 8 processes the store's CPU, not its budget, would bound 100-item pages."""
PROCESSES = (1, 2, 3, 4, 8)
QUICK_PROCESSES = (1, 3)
ADMISSIONS = 2000


def _fake(**overrides: object) -> FakeJumpseller:
    options: dict[str, object] = {
        "seed": 5,
        "products": PRODUCTS,
        "customers": 0,
        "orders": 0,
        "limits": LIMITS,
        "time_scale": SCALE,
        "latency": LATENCY * SCALE,
        "ban_after": None,
    }
    options.update(overrides)
    return FakeJumpseller(**options)  # type: ignore[arg-type]


async def _fleet(
    processes: int,
    storage: str | None,
    during: Callable[[], Awaitable[None]] | None = None,
    scale: float = SCALE,
    products: int = PRODUCTS,
) -> tuple[FakeJumpseller, FleetResult, bool]:
    fake = _fake(time_scale=scale, latency=LATENCY * scale, products=products)
    with tempfile.TemporaryDirectory(prefix="bench-processes-") as out:
        async with fake.run_in_background() as base_url:
            fleet = await run_fleet(
                processes,
                base_url=base_url,
                login=fake.login,
                authtoken=fake.authtoken,
                out_dir=Path(out),
                storage=storage,
                scale=scale,
                page_size=PAGE_SIZE,
                during=during,
            )
        expected = Counter(fake.store.products.ids)
        exact = all(
            w.error is None and Counter(_ids(Path(w.path))) == expected for w in fleet.workers
        )
    return fake, fleet, exact


def _ids(path: Path) -> list[int]:
    import json

    return [json.loads(line)["id"] for line in path.read_text("utf-8").splitlines() if line]


def _fell_back(fleet: FleetResult) -> int:
    return sum(any("unreachable" in m for m in w.warnings) for w in fleet.workers)


def _optimal(requests: int) -> float:
    """Scaled seconds: the last stamp of the greedy schedule plus one latency."""
    return greedy_schedule(requests, LIMITS)[-1] + LATENCY if requests else 0.0


def _safe_bound(requests: int) -> float:
    """The same with each window lengthened by the latency: a client that cannot see when in
    [send, answer] the store stamped a request must count it until its answer + the window."""
    if not requests:
        return 0.0
    lengthened = [(n, w + LATENCY) for n, w in LIMITS]
    return greedy_schedule(requests, lengthened)[-1] + LATENCY


async def _processes_section(redis: RedisServer, quick: bool) -> Section:
    section = Section(
        title=f"(g1) N processes export one store (pages of {PAGE_SIZE}): strict 8/s + 240/min, "
        f"{LATENCY * 1000:g} ms latency",
        columns=[
            "processes",
            "scale",
            "products each",
            "limiter",
            "requests",
            "refusals",
            "failed exports",
            "every item once",
            "makespan s",
            "optimal s",
            "optimal/actual",
            "safe bound/actual",
            "max in 1 s",
            "max in 60 s",
            "fell back",
        ],
    )
    runs = [(n, FLEET_SCALE, PRODUCTS) for n in (QUICK_PROCESSES if quick else PROCESSES)]
    if not quick:
        # A longer export: past 240 requests the minute window binds, not the second.
        runs.append((3, FLEET_SCALE, LONG_EXPORT))
        runs.append((3, 0.1, PRODUCTS))  # the tests' scale: CPU-bound here, see the notes
    for n, scale, products in runs:
        for label, storage in (("in-memory", None), ("Redis", redis.url)):
            progress(f"processes: {n} x {label}, scale {scale:g}, {products} products each")
            if storage is not None:
                redis.flushall()
            fake, fleet, exact = await _fleet(n, storage, scale=scale, products=products)
            makespan = fleet.makespan / scale
            optimal = _optimal(fleet.requests)
            ratio = optimal / makespan if makespan else 0.0
            safe = _safe_bound(fleet.requests) / makespan if makespan else 0.0
            refusals = fake.stats.rejections
            section.rows.append(
                [
                    str(n),
                    f"{scale:g}",
                    str(products),
                    label,
                    str(fleet.requests),
                    f"{refusals} ({refusals / max(1, fake.stats.requests):.0%})",
                    str(len(fleet.failed)),
                    "yes" if exact else "NO",
                    fmt(makespan, 2),
                    fmt(optimal, 2),
                    fmt(ratio, 3),
                    fmt(safe, 3),
                    str(fake.stats.max_in_window(1.0)),
                    str(fake.stats.max_in_window(60.0)),
                    str(_fell_back(fleet)),
                ]
            )
            at = f"3 processes x {products} products at scale {scale:g}"
            if n == 3 and storage is not None:
                _check(section, f"{at}, Redis: refusals", str(refusals), "0", refusals == 0)
                _check(
                    section,
                    f"{at}, Redis: optimal/actual",
                    fmt(ratio, 3),
                    ">= 0.9",
                    ratio >= 0.9,
                )
            if n == 3 and storage is None:
                share = refusals / max(1, fake.stats.requests)
                _check(
                    section,
                    f"{at}, no Redis: failed exports",
                    str(len(fleet.failed)),
                    "0",
                    not fleet.failed,
                )
                _check(
                    section,
                    f"{at}, no Redis: refusals / requests",
                    f"{share:.1%}",
                    "<= 10 %",
                    share <= 0.10,
                )
            if n == 1:
                _check(
                    section,
                    f"1 process, {label}: refusals",
                    str(refusals),
                    "0",
                    refusals == 0,
                )
    section.notes += [
        "makespan = first worker's start to last worker's end (after the start barrier), in "
        "scaled seconds; optimal = the greedy schedule's last stamp for all the requests of "
        "all processes, plus one latency: no set of clients can finish sooner; safe bound = "
        "the same schedule with every window lengthened by the latency (a request counts from "
        "its admission until its answer + the window, since no client sees when the store "
        "stamped it): what the server-true rule allows",
        "refusals = HTTP 429 the store sent (share of every request it received); every item "
        "once = every process's file holds every product exactly once",
        "fell back = processes that logged that Redis was unreachable and used their "
        "in-process limiter for a while (Redis calls time out after 1 s)",
    ]
    return section


async def _outage_section(redis: RedisServer) -> Section:
    section = Section(
        title=f"(g2) Redis killed mid-run: 3 processes, scale {SCALE:g}",
        columns=[
            "outage",
            "requests",
            "refusals",
            "failed exports",
            "every item once",
            "makespan s",
            "optimal/actual",
            "fell back",
        ],
    )
    for label, back_after in (("killed, back 1 s later", 1.0), ("killed for good", None)):
        progress(f"processes: Redis {label}")
        redis.flushall()

        async def outage(back_after: float | None = back_after) -> None:
            await asyncio.sleep(0.4)
            await asyncio.to_thread(redis.stop)
            if back_after is not None:
                await asyncio.sleep(back_after)
                await asyncio.to_thread(redis.start)

        fake, fleet, exact = await _fleet(3, redis.url, outage)
        if not redis.running:
            redis.start()
        makespan = fleet.makespan / SCALE
        section.rows.append(
            [
                label,
                str(fleet.requests),
                str(fake.stats.rejections),
                str(len(fleet.failed)),
                "yes" if exact else "NO",
                fmt(makespan, 2),
                fmt(_optimal(fleet.requests) / makespan if makespan else 0.0, 3),
                str(_fell_back(fleet)),
            ]
        )
        _check(
            section,
            f"Redis {label}: every export completes, every item once",
            f"{len(fleet.failed)} failed, exact: {exact}",
            "0 failed, exact",
            not fleet.failed and exact,
        )
    section.notes.append(
        "Redis is stopped (SIGKILL) 0.4 real seconds after the barrier (restarted 1 s later "
        "in the first row): each process "
        "falls back to its in-process limiter, primed with the occupancy Redis last reported"
    )
    return section


async def _admission_section(redis: RedisServer) -> Section:
    section = Section(
        title=f"(g3) Cost of one admission: {ADMISSIONS} slots, limits that never bind",
        columns=["limiter", "concurrency", "µs per slot", "x in-memory"],
    )
    limits = ((10**6, 1.0),)
    for concurrency in (1, 8):
        costs: dict[str, float] = {}
        for label in ("in-memory", "Redis"):
            redis.flushall()
            limiter: RateLimiter | RedisRateLimiter
            if label == "Redis":
                limiter = RedisRateLimiter(
                    redis.url, "bench", limits, explicit=True, clock=SYSTEM_CLOCK
                )
            else:
                limiter = RateLimiter(limits, explicit=True, clock=SYSTEM_CLOCK)

            async def one(limiter: RateLimiter | RedisRateLimiter = limiter) -> None:
                async with limiter.slot() as slot:
                    await slot.feedback({})

            await one()  # connect, load the script
            started = time.perf_counter()
            for _ in range(ADMISSIONS // concurrency):
                await asyncio.gather(*(one() for _ in range(concurrency)))
            costs[label] = (time.perf_counter() - started) / ADMISSIONS * 1e6
            if isinstance(limiter, RedisRateLimiter):
                await limiter.aclose()
        for label, cost in costs.items():
            section.rows.append(
                [label, str(concurrency), fmt(cost, 0), fmt(cost / costs["in-memory"], 1)]
            )
    section.notes.append(
        "a slot = acquire, report the (empty) answer, release; through Redis that is two "
        "script calls on loopback (reserve, complete); against a budget of 8 per second a "
        "millisecond or two per request is small, but it lengthens every entry's interval"
    )
    return section


async def _header_less_section() -> Section:
    section = Section(
        title="(g4) One process, header-less 403 refusals, client believes 16/s and 480/min",
        columns=[
            "scenario",
            "scale",
            "requests",
            "refusals",
            "bans",
            "refused while banned",
            "makespan s",
            "optimal s",
            "optimal/actual",
        ],
    )
    scenarios = (
        ("limits believed twice too high", SCALE, {"ban_after": None}),
        # A ban's end comes as a wall-clock header to the second: at real scale only.
        ("and a 2 s ban after each refusal", 1.0, {"ban_after": 1, "ban_seconds": 2.0}),
    )
    for label, scale, extra in scenarios:
        pages = 100 if scale != 1.0 else 60
        options = {
            "seed": 4,
            "products": pages * 5,
            "customers": 0,
            "orders": 0,
            "limits": LIMITS,
            "time_scale": scale,
            "latency": LATENCY * scale,
            "reject_status": 403,
            "limit_headers": False,
            **extra,
        }
        progress(f"processes: {label}")
        with child_server("fake", **options) as server:
            clock = ScaledClock(scale)
            started = time.perf_counter()
            async with JumpsellerClient(
                "demo-store",
                "demo-token-000000000000000000000000",
                base_url=server.base_url,
                clock=clock if scale != 1.0 else None,
                rate_limits=[(16, 1.0), (480, 60.0)],
                max_retries=10,
            ) as client:
                got = 0
                async for page in client.paginate(get_products_json, limit=5).pages():
                    got += len(page)
            makespan = (time.perf_counter() - started) / scale
            stats = server.command("stats 1 60")
        requests = stats["requests"] - stats["rejections"]
        optimal = greedy_schedule(requests, LIMITS)[-1] + LATENCY
        ratio = optimal / makespan
        section.rows.append(
            [
                label,
                f"{scale:g}",
                str(stats["requests"]),
                str(stats["rejections"]),
                str(stats.get("bans", "?")),
                str(stats.get("banned_rejections", "?")),
                fmt(makespan, 2),
                fmt(optimal, 2),
                fmt(ratio, 3),
            ]
        )
        if got != pages * 5:
            miss(f"{label}: {got} items instead of {pages * 5}")
        if "ban" in label:
            bans = int(stats.get("bans", 0))
            _check(section, "a ban after each refusal: bans", str(bans), "<= 2", bans <= 2)
        else:
            refusals = int(stats["rejections"])
            _check(section, "limits believed 2x: refusals", str(refusals), "<= 5", refusals <= 5)
            _check(
                section, "limits believed 2x: optimal/actual", fmt(ratio, 3), ">= 0.8", ratio >= 0.8
            )
    section.notes += [
        "the store sends no rate-limit headers and refuses with 403 (the documented "
        "behaviour of older Jumpseller docs); the client's explicit limits are 16/s and "
        "480/min, twice the store's: it must learn the real ones from the refusals",
        "requests = every request the store received, refused ones included; optimal uses "
        "the accepted ones; refused while banned = requests that arrived during a ban; "
        "the store cannot tell those sent before the client knew of the ban (in flight when "
        "the refusal came) from any sent later",
    ]
    return section


def _check(section: Section, figure: str, value: str, target: str, met: bool) -> None:
    section.checks.append(Check("processes", figure, value, target, met))
    if not met:
        miss(f"{figure}: {value} (target {target})")


async def run(quick: bool) -> list[Section]:
    try:
        redis = RedisServer()
    except FileNotFoundError:
        print(f"  .. processes: skipped, {INSTALL_HINT}", flush=True)
        return []
    redis.start()
    try:
        sections = [await _processes_section(redis, quick), await _admission_section(redis)]
        sections.append(await _outage_section(redis))
        sections.append(await _header_less_section())
    finally:
        redis.close()
    return sections
