"""(d) Peak memory of exporting 1,000,000 items, against 100,000 (or 10,000 with --quick).

Each export runs in a fresh child process (``python -m benchmarks.memory --child N``), so
no earlier benchmark's heap or high-water mark leaks into the figures. In the child:
FakeJumpseller with ``N`` customers (generated lazily from the seed, so setup is cheap),
``limits=None``, no latency, served in-process through ``httpx.ASGITransport``; then
``Exporter(client, "customers", tmpfile).run()``: JSON Lines, 100 a page, one request per
page. Memory is measured after setup and a warm-up request, three ways:

* RSS sampled after every page (the exporter's progress callback), peak minus baseline;
* the kernel's high-water mark (``VmHWM``), reset to the current RSS just before the
  export (``/proc/self/clear_refs``), minus the baseline; it also sees peaks between samples.
  (``getrusage``'s ``ru_maxrss`` cannot be reset and, in a child started by fork,
  starts at the parent's size, so it says nothing here.)
* in a separate child with ``tracemalloc`` on, the peak of Python allocations made during
  the export (tracemalloc slows the run, so its timing is not used).

Constant memory means these do not grow with ``N``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from ._common import Check, Section, fmt, miss, progress, rss_kib

LOGIN = "bench-store"
TOKEN = "bench-token-0000000000000000000000"
CHILD_TIMEOUT = 600.0
GROWTH_TOLERANCE_MIB = 5.0
"""Peak growth from the smaller to the larger export still read as constant memory."""


async def _child(items: int, trace: bool) -> dict[str, Any]:
    import httpx

    from jumpseller_async import Exporter, JumpsellerClient
    from jumpseller_async.api.customers import get_customers_json
    from jumpseller_async.testing import FakeJumpseller

    rss_start = rss_kib()
    started = time.perf_counter()
    fake = FakeJumpseller(
        seed=1,
        customers=items,
        products=0,
        orders=0,
        limits=None,
        latency=0.0,
        login=LOGIN,
        authtoken=TOKEN,
    )
    setup = time.perf_counter() - started
    async with JumpsellerClient(
        LOGIN,
        TOKEN,
        base_url="http://fake/v1",
        rate_limits=None,
        transport=httpx.ASGITransport(app=fake),
    ) as client:
        await get_customers_json.asyncio(client=client, page=1, limit=100)
        with tempfile.TemporaryDirectory(prefix="jumpseller-bench-") as tmp:
            out = Path(tmp) / "customers.jsonl"
            gc.collect()
            hwm_reset = _reset_high_water_mark()
            baseline = rss_kib()
            peak_sampled = baseline

            def sample(done: int, total: int | None) -> None:
                nonlocal peak_sampled
                peak_sampled = max(peak_sampled, rss_kib())

            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            result = await Exporter(client, "customers", out, progress=sample).run()
            elapsed = time.perf_counter() - started
            traced_peak = tracemalloc.get_traced_memory()[1] if trace else 0
            if trace:
                tracemalloc.stop()
            high_water = _status_kib("VmHWM")
            size = out.stat().st_size
    return {
        "items": result.items,
        "requests": result.requests,
        "setup_s": setup,
        "elapsed_s": elapsed,
        "rss_start_kib": rss_start,
        "baseline_kib": baseline,
        "sampled_growth_kib": peak_sampled - baseline,
        "hwm_growth_kib": high_water - baseline if hwm_reset else None,
        "traced_peak_kib": traced_peak // 1024,
        "file_mib": size / 2**20,
    }


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_high_water_mark() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def _measure(items: int, trace: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.memory", "--child", str(items)]
    if trace:
        command.append("--tracemalloc")
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory child for {items} items failed:\n{done.stderr[-2000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


async def run(quick: bool) -> list[Section]:
    small, large = (10_000, 100_000) if quick else (100_000, 1_000_000)
    traced_small, traced_large = (3_000, 10_000) if quick else (10_000, 30_000)
    section = Section(
        title=f"(d) Peak memory of exporting customers: {small:,} vs {large:,} items",
        columns=[
            "items",
            "requests",
            "setup s",
            "export s",
            "items/s",
            "RSS baseline MiB",
            "peak RSS growth MiB (sampled)",
            "peak RSS growth MiB (VmHWM)",
            "tracemalloc peak MiB",
            "file MiB",
        ],
    )
    runs: dict[int, dict[str, Any]] = {}
    for items in (small, large):
        progress(f"memory: exporting {items:,} items")
        # The child runs the blocking export; keep this loop free while it does.
        runs[items] = await asyncio.to_thread(_measure, items, False)
    traced: dict[int, dict[str, Any]] = {}
    for items in (traced_small, traced_large):
        progress(f"memory: exporting {items:,} items under tracemalloc")
        traced[items] = await asyncio.to_thread(_measure, items, True)
    for items, figures in runs.items():
        trace = traced.get(items)
        section.rows.append(
            [
                f"{items:,}",
                str(figures["requests"]),
                fmt(figures["setup_s"], 2),
                fmt(figures["elapsed_s"], 1),
                f"{figures['items'] / figures['elapsed_s']:.0f}",
                _mib(figures["baseline_kib"]),
                _mib(figures["sampled_growth_kib"]),
                "-" if figures["hwm_growth_kib"] is None else _mib(figures["hwm_growth_kib"]),
                _mib(trace["traced_peak_kib"]) if trace else "-",
                f"{figures['file_mib']:.0f}",
            ]
        )
    for items, trace in traced.items():
        if items not in runs:
            section.rows.append(
                [
                    f"{items:,} (tracemalloc run)",
                    str(trace["requests"]),
                    fmt(trace["setup_s"], 2),
                    "-",
                    "-",
                    _mib(trace["baseline_kib"]),
                    "-",
                    "-",
                    _mib(trace["traced_peak_kib"]),
                    f"{trace['file_mib']:.0f}",
                ]
            )

    def peak(figures: dict[str, Any]) -> float:
        # Both readings lag the page counters by a few hundred KiB: take the larger.
        return float(max(figures["sampled_growth_kib"], figures["hwm_growth_kib"] or 0))

    growth = (peak(runs[large]) - peak(runs[small])) / 1024
    traced_growth = (
        traced[traced_large]["traced_peak_kib"] - traced[traced_small]["traced_peak_kib"]
    ) / 1024
    constant = growth <= GROWTH_TOLERANCE_MIB
    section.checks += [
        Check(
            "memory",
            f"peak RSS growth, {large:,} minus {small:,} items (MiB)",
            f"{growth:.1f}",
            f"<= {GROWTH_TOLERANCE_MIB:.0f} (constant)",
            constant,
        ),
        Check(
            "memory",
            f"tracemalloc peak, {traced_large:,} minus {traced_small:,} items (MiB)",
            f"{traced_growth:.1f}",
            "informative",
            None,
        ),
        Check(
            "memory",
            f"items/s exporting {large:,}",
            f"{runs[large]['items'] / runs[large]['elapsed_s']:.0f}",
            "informative",
            None,
        ),
    ]
    if not constant:
        miss(f"memory: peak RSS grew by {growth:.1f} MiB from {small:,} to {large:,} items")
    section.notes += [
        "RSS baseline: after creating the fake store and the client and one warm-up request; "
        "growth figures are above it",
        "VmHWM: the kernel's peak RSS, reset to the current RSS just before the export "
        "(/proc/self/clear_refs); '-' where the kernel does not allow the reset",
        "setup s: FakeJumpseller(customers=N) construction (ids array only; items are "
        "generated when a page is read)",
        "export s includes the fake server's work (generating and encoding each page) in "
        "the same process: items/s is a floor for the client alone",
    ]
    return [section]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", type=int, required=True)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_child(args.child, args.tracemalloc))))


if __name__ == "__main__":
    main()
