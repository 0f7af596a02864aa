"""(e) 20 stores in one process: 20 clients, 20 limiters, one event loop.

Twenty FakeJumpseller stores (one app per store, different logins and seeds), each with
Jumpseller's documented limits (8 per second and 240 per minute) scaled in time, served
in-process through ``httpx.ASGITransport``; one :class:`JumpsellerClient` per store on
the matching :class:`ScaledClock`. Every store is read at once with
``client.paginate(get_customers_json, limit=10).pages()`` (the count, then 8 pages in
flight), ``N`` requests per store.

The scale is chosen so that the twenty stores' limits stay well below what one Python
process can serve and parse here (about 1,000 such requests per second, measured): the
ratio then speaks of the limiters, not of the CPU. A second, full-run-only row uses the
0.1 scale, where the limits sum to more than the process can do, to show that overload
costs throughput but never a rejection.

A second table times the exporter's page mode against ``paginate``: see
:func:`_exporter_vs_paginate`.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from jumpseller_async import Exporter, JumpsellerClient
from jumpseller_async.api.customers import get_customers_json
from jumpseller_async.testing import FakeJumpseller

from ._common import Check, ScaledClock, Section, fmt, greedy_schedule, miss, progress

STORES = 20
LIMITS = ((8, 1.0), (240, 60.0))
PAGE_SIZE = 10
TARGET_RATIO = 0.95


@dataclass
class StoresRun:
    scale: float
    per_store: int
    makespan: float
    requests: int
    rejections: int
    peaks_short: list[int]
    peaks_long: list[int]
    cpu_share: float
    failed: int


def _store(index: int, per_store: int, scale: float) -> FakeJumpseller:
    # (per_store - 1) pages with a short last one, plus the count: per_store requests.
    return FakeJumpseller(
        seed=index + 1,
        customers=(per_store - 1) * PAGE_SIZE - PAGE_SIZE // 2,
        products=0,
        orders=0,
        limits=LIMITS,
        time_scale=scale,
        login=f"store-{index + 1:02d}",
        authtoken=f"token-{index + 1:02d}-{'0' * 24}",
    )


async def _export(fake: FakeJumpseller, scale: float) -> int:
    async with JumpsellerClient(
        fake.login,
        fake.authtoken,
        base_url="http://fake/v1",
        clock=ScaledClock(scale),
        transport=httpx.ASGITransport(app=fake),
    ) as client:
        items = 0
        async for page in client.paginate(get_customers_json, limit=PAGE_SIZE).pages():
            items += len(page)
    return items


async def _run(scale: float, per_store: int) -> StoresRun:
    fakes = [_store(i, per_store, scale) for i in range(STORES)]
    optimal = greedy_schedule(per_store, [(n, w * scale) for n, w in LIMITS])[-1]
    cpu_before = time.process_time()
    started = time.perf_counter()
    results = await asyncio.wait_for(
        asyncio.gather(*(_export(f, scale) for f in fakes), return_exceptions=True),
        timeout=max(60.0, 5 * optimal),
    )
    makespan = time.perf_counter() - started
    return StoresRun(
        scale=scale,
        per_store=per_store,
        makespan=makespan,
        requests=sum(f.stats.requests for f in fakes),
        rejections=sum(f.stats.rejections for f in fakes),
        peaks_short=[f.stats.max_in_window(LIMITS[0][1]) for f in fakes],
        peaks_long=[f.stats.max_in_window(LIMITS[1][1]) for f in fakes],
        cpu_share=(time.process_time() - cpu_before) / makespan,
        failed=sum(isinstance(r, BaseException) for r in results),
    )


def _row(result: StoresRun, section: Section, checked: bool) -> None:
    windows = [(n, w * result.scale) for n, w in LIMITS]
    optimal = greedy_schedule(result.per_store, windows)[-1]
    optimal_rate = STORES * result.per_store / optimal
    rate = result.requests / result.makespan
    ratio = rate / optimal_rate
    burst = STORES * windows[0][0] / windows[0][1]
    sustained = STORES * windows[1][0] / windows[1][1]
    label = f"8/{windows[0][1]:g} s + 240/{windows[1][1]:g} s"
    section.rows.append(
        [
            label + ("" if checked else " (overload)"),
            str(result.per_store),
            fmt(result.makespan, 2) + (f" ({result.failed} failed)" if result.failed else ""),
            fmt(optimal, 2),
            f"{rate:.0f}",
            f"{optimal_rate:.0f}",
            f"{burst:.0f} / {sustained:.0f}",
            fmt(ratio),
            str(result.rejections),
            f"{min(result.peaks_short)}-{max(result.peaks_short)}",
            f"{min(result.peaks_long)}-{max(result.peaks_long)}",
            f"{result.cpu_share:.0%}",
        ]
    )
    if checked:
        met = ratio >= TARGET_RATIO
        section.checks += [
            Check("stores", "aggregate req/s / optimal", fmt(ratio), f">= {TARGET_RATIO}", met),
            Check(
                "stores",
                "rejections (20 stores)",
                str(result.rejections),
                "0",
                not result.rejections,
            ),
        ]
        if not met:
            miss(f"stores: aggregate rate {ratio:.3f} of the optimum < {TARGET_RATIO}")
    if result.rejections:
        miss(f"stores: {result.rejections} rejections at scale {result.scale}")


async def _exporter_vs_paginate(quick: bool) -> Section:
    """The exporter's page mode against ``paginate`` (8 pages in flight once it knows the
    count). The exporter reads the count itself and passes it to ``paginate`` as
    ``known_total``, so it should keep as many pages in flight; it once read one page per
    round trip. Unlimited store, 50 ms latency, real time."""
    pages = 20 if quick else 40
    latency = 0.05
    fake = FakeJumpseller(
        seed=1, customers=pages * 100 - 50, products=0, orders=0, limits=None, latency=latency
    )
    section = Section(
        title=f"(e2) Exporter page mode vs paginate: {pages} pages of 100 customers, "
        f"{latency * 1000:.0f} ms latency, no rate limit",
        columns=["reader", "requests", "seconds", "req/s", "paginate/exporter speed"],
    )
    async with JumpsellerClient(
        fake.login,
        fake.authtoken,
        base_url="http://fake/v1",
        rate_limits=None,
        transport=httpx.ASGITransport(app=fake),
    ) as client:
        with tempfile.TemporaryDirectory(prefix="jumpseller-bench-") as tmp:
            progress("stores: Exporter page mode")
            started = time.perf_counter()
            result = await Exporter(client, "customers", Path(tmp) / "c.jsonl").run()
            exporter_s = time.perf_counter() - started
        progress("stores: paginate")
        started = time.perf_counter()
        paginator = client.paginate(get_customers_json)
        async for _ in paginator.pages():
            pass
        paginate_s = time.perf_counter() - started
    speedup = exporter_s / paginate_s
    section.rows += [
        [
            'Exporter(client, "customers", out)',
            str(result.requests),
            fmt(exporter_s, 2),
            f"{result.requests / exporter_s:.1f}",
            "1.00",
        ],
        [
            "client.paginate(get_customers_json)",
            str(paginator.requests),
            fmt(paginate_s, 2),
            f"{paginator.requests / paginate_s:.1f}",
            fmt(speedup, 2),
        ],
    ]
    section.checks.append(
        Check("stores", "paginate / Exporter page-mode speed", fmt(speedup, 2), "informative", None)
    )
    section.notes.append(
        "both read the count, then the pages with `concurrency` (8) in flight: the Exporter "
        "reads the count for its progress and passes it to paginate as known_total. Near "
        "1.00 means the page mode uses its concurrency (before known_total it read one "
        "page per round trip, and paginate was 4.8x as fast)"
    )
    return section


async def run(quick: bool) -> list[Section]:
    # --quick: fewer requests than the long window's limit, so only the short window binds;
    # a slower scale then keeps the burst rate well inside the CPU's reach.
    scale, per_store = (0.5, 120) if quick else (0.25, 300)
    section = Section(
        title=f"(e) {STORES} stores in one process, each read concurrently with paginate "
        f"(pages of {PAGE_SIZE})",
        columns=[
            "windows per store",
            "requests/store",
            "makespan s",
            "optimal s",
            "aggregate req/s",
            "optimal req/s",
            "sum of limits req/s (short / long)",
            "aggregate/optimal",
            "rejections",
            "max in short window",
            "max in long window",
            "CPU",
        ],
    )
    progress(f"stores: {STORES} stores x {per_store} requests, scale {scale}")
    _row(await _run(scale, per_store), section, checked=True)
    if not quick:
        progress(f"stores: {STORES} stores x 300 requests, scale 0.1 (overload)")
        _row(await _run(0.1, 300), section, checked=False)
    section.notes += [
        f"windows: Jumpseller's 8/s and 240/min with time scaled by {scale} (8 per "
        f"{scale:g} s and 240 per {60 * scale:g} s); stores in-process via "
        "httpx.ASGITransport, no latency",
        "optimal = the greedy schedule of (a) for one store (it stamps request k one window "
        "after request k - limit); every store could finish then, so optimal req/s is "
        "20 x requests/store / optimal s",
        "sum of limits: 20 x the short window's rate / 20 x the long window's rate; a run "
        "longer than the long window averages towards the second",
        "max in window: the range over the 20 stores of the most requests the store "
        "admitted in any sliding window (limits: 8 and 240)",
        "CPU: this process's CPU time over the makespan (the stores are served in it too)",
    ]
    if not quick:
        section.notes.append(
            "(overload) row: at scale 0.1 the limits sum to 1,600 req/s in bursts, more than "
            "the process can serve and parse; it shows the cost of a saturated event loop "
            "and that the limiters still cause no rejection"
        )
    return [section, await _exporter_vs_paginate(quick)]
