"""(b) Client throughput against raw httpx: what the client's own layers cost per request.

Both clients send the same GET ``/products/count.json`` ``N`` times, 20 at a time, to a
server in a child process on 127.0.0.1 (so the client under test has its event loop and a
core to itself). Ours goes through ``get_products_count_json.asyncio`` (limiter disabled
with ``rate_limits=None``, retry and logging layers, parsing into a ``Count`` model); raw
httpx does ``http.get(...)``, ``raise_for_status()`` and ``.json()``. Each keeps one
warmed-up connection pool for all its rounds.

The server (``fixed``) is a few lines of asyncio answering a fixed ``{"count":1234}``:
cheap enough that the client is the bottleneck, so the ratio is the client's overhead.
Every round runs four conditions back to back, in a rotating order: both clients, with
``sniffio`` importable and with its import failing as where it is not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import time
import types
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx

from jumpseller_async import JumpsellerClient
from jumpseller_async.api.products import get_products_count_json

from ._common import Check, Section, child_server, cpu_seconds, fmt, median, progress

CONCURRENCY = 20
LOGIN = "bench-store"
TOKEN = "bench-token-0000000000000000000000"


@dataclass
class Round:
    seconds: float
    client_cpu: float
    server_cpu: float


Send = Callable[[], Awaitable[object]]


async def _drive(send: Send, n: int, server_pid: int) -> Round:
    """``n`` calls of ``send`` by ``CONCURRENCY`` workers."""
    per_worker, extra = divmod(n, CONCURRENCY)

    async def worker(count: int) -> None:
        for _ in range(count):
            await send()

    server_before = cpu_seconds(server_pid)
    cpu_before = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker(per_worker + (i < extra)) for i in range(CONCURRENCY)))
    seconds = time.perf_counter() - started
    return Round(
        seconds=seconds,
        client_cpu=time.process_time() - cpu_before,
        server_cpu=cpu_seconds(server_pid) - server_before,
    )


def _sniffio_shim() -> types.ModuleType:
    """What httpcore needs from sniffio under asyncio, for the "sniffio importable" rows."""
    shim = types.ModuleType("sniffio")
    shim.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
    return shim


class _SniffioAbsent(importlib.abc.MetaPathFinder):
    """Makes ``import sniffio`` fail as it does where sniffio is not installed: after the
    same search of every import path (for a name that exists nowhere), every time.

    Dropping ``sys.modules["sniffio"]`` alone would not do: an installed sniffio is then
    imported again, once, and cached.
    """

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname == "sniffio":
            for finder in sys.meta_path:
                if finder is not self and hasattr(finder, "find_spec"):
                    finder.find_spec("sniffio_absent_for_benchmark", None, None)
            raise ModuleNotFoundError("No module named 'sniffio'", name="sniffio")


@contextlib.contextmanager
def _sniffio(present: bool) -> Iterator[None]:
    """httpcore 1.0.9 runs ``import sniffio`` on every lock it sets up; where sniffio is not
    installed (anyio >= 4.11 no longer brings it) that import fails, slowly, several times
    per request (failed imports are not cached). With ``present`` sniffio (or a stand-in)
    is importable meanwhile; without, its import fails as if it were not installed."""
    saved = sys.modules.get("sniffio")
    blocker = _SniffioAbsent()
    if present:
        sys.modules["sniffio"] = saved or _sniffio_shim()
    else:
        sys.modules.pop("sniffio", None)
        sys.meta_path.insert(0, blocker)
    try:
        yield
    finally:
        if blocker in sys.meta_path:
            sys.meta_path.remove(blocker)
        if saved is not None:
            sys.modules["sniffio"] = saved
        else:
            sys.modules.pop("sniffio", None)


def _sniffio_installed() -> bool:
    return importlib.util.find_spec("sniffio") is not None


CONDITIONS = (("raw", False), ("ours", False), ("raw", True), ("ours", True))
"""(client, sniffio importable) pairs, run in a rotating order every round."""


async def _compare(n: int, rounds: int) -> dict[tuple[str, bool], list[Round]]:
    results: dict[tuple[str, bool], list[Round]] = {c: [] for c in CONDITIONS}
    with child_server("fixed") as server:
        async with (
            JumpsellerClient(LOGIN, TOKEN, base_url=server.base_url, rate_limits=None) as client,
            httpx.AsyncClient(base_url=server.base_url, auth=(LOGIN, TOKEN)) as http,
        ):

            async def ours() -> object:
                return await get_products_count_json.asyncio(client=client)

            async def raw() -> object:
                response = await http.get("/products/count.json")
                response.raise_for_status()
                return response.json()

            sends: dict[str, Send] = {"ours": ours, "raw": raw}
            # Warm-up: open the pools' connections and fill caches before timing.
            for name, send in sends.items():
                progress(f"throughput: warm-up {name}")
                await _drive(send, 10 * CONCURRENCY, server.pid)
            for i in range(rounds):
                shift = i % len(CONDITIONS)
                for name, present in CONDITIONS[shift:] + CONDITIONS[:shift]:
                    with _sniffio(present):
                        result = await _drive(sends[name], n, server.pid)
                    results[(name, present)].append(result)
    return results


async def run(quick: bool) -> list[Section]:
    # Many short rounds: on a shared machine a round hit by another process is an outlier
    # that the median of the per-round ratios and the best round both leave out.
    n, rounds = (200, 6) if quick else (300, 20)
    section = Section(
        title=f"(b) Throughput: {n} GET /products/count.json per round, concurrency "
        f"{CONCURRENCY}, {rounds} rounds, fixed-JSON server in a child process",
        columns=[
            "httpcore environment",
            "raw httpx req/s",
            "jumpseller-async req/s",
            "ours/raw (median)",
            "ours/raw (best rounds)",
            "client CPU µs/req raw / ours",
            "server CPU",
        ],
    )
    progress("throughput: fixed JSON server")
    results = await _compare(n, rounds)
    installed = _sniffio_installed()
    for present in (False, True):
        ours, raw = results[("ours", present)], results[("raw", present)]
        ours_rate = median([n / r.seconds for r in ours])
        raw_rate = median([n / r.seconds for r in raw])
        # Each round ran every condition back to back: compare within rounds.
        ratio = median([r.seconds / o.seconds for o, r in zip(ours, raw, strict=True)])
        best = min(r.seconds for r in raw) / min(o.seconds for o in ours)
        cpu_raw = median([r.client_cpu / n for r in raw]) * 1e6
        cpu_ours = median([r.client_cpu / n for r in ours]) * 1e6
        server_cpu = median([r.server_cpu / r.seconds for r in ours + raw])
        if present:
            label = "sniffio importable" + ("" if installed else " (stand-in)")
        else:
            label = "sniffio import blocked" if installed else "as installed, no sniffio"
        section.rows.append(
            [
                label,
                f"{raw_rate:.0f}",
                f"{ours_rate:.0f}",
                fmt(ratio),
                fmt(best),
                f"{cpu_raw:.0f} / {cpu_ours:.0f}",
                f"{server_cpu:.0%}",
            ]
        )
        section.checks.append(
            Check("throughput", f"ours/raw req/s ({label})", fmt(ratio), "informative", None)
        )
    gain = median(
        [
            a.seconds / b.seconds
            for a, b in zip(results[("ours", False)], results[("ours", True)], strict=True)
        ]
    )
    section.checks.append(
        Check("throughput", "ours: req/s with sniffio / without", fmt(gain), "informative", None)
    )
    if installed:
        rows = (
            "the first row blocks its import (a meta-path finder that searches every import "
            "path, then fails) to show what an environment without it costs"
        )
    else:
        rows = "this environment lacks it; the second row makes a minimal stand-in importable"
    section.notes += [
        "ours/raw (median) = median over rounds of (raw round time / our round time); every "
        "round runs the four conditions back to back, in a rotating order. ours/raw (best "
        "rounds) = raw's fastest round / our fastest round. req/s: median rounds",
        "client CPU = this process's CPU time per request; server CPU = share of one core "
        "the server used (low: the client is the bottleneck, as intended)",
        "sniffio: httpcore 1.0.9 imports sniffio on every lock it creates and falls back to "
        "asyncio when that fails; anyio >= 4.11 no longer installs it, and Python does not "
        "cache failed imports, so without it each request pays several sys.path searches. "
        f"jumpseller-async now depends on sniffio; {rows}",
        f"this run: ours with sniffio is {gain:.2f}x as fast as ours without",
    ]
    return [section]
