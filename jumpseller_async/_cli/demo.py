"""``jumpseller-async demo``: a fake store exported at its limits, by one process or by N."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from .._client import JumpsellerClient
from .._export import Exporter
from ._common import EXIT_ERROR, UsageError, add_budget_options
from ._fakestore import add_store_options, build_fake, parse_limits
from ._progress import Progress, print_results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the files go, how many processes, what they export, the budget and store options."""
    parser.add_argument(
        "--out-dir", help="where to write the exports (default: a temporary directory)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="N processes export one store; with --rate-limit-storage they share its budget "
        "through Redis, and a second run without it shows the difference",
    )
    parser.add_argument(
        "--resource",
        choices=("products", "orders", "customers"),
        default="products",
        help="what each process exports with --processes (default products)",
    )
    add_budget_options(parser, top=False)
    add_store_options(parser)


async def _demo(args: argparse.Namespace) -> int:
    fake = build_fake(args)
    out_dir = Path(args.out_dir or tempfile.mkdtemp(prefix="jumpseller-demo-"))
    limits = parse_limits(args.limits)
    print(
        f"fake store: {args.products} products, {args.orders} orders, {args.customers} customers; "
        f"limits {' and '.join(f'{n}/{w:g}s' for n, w in limits)}; latency {args.latency * 1000:.0f} ms",
        file=sys.stderr,
    )
    async with fake.run_in_background(port=0) as base_url:
        client = JumpsellerClient(fake.login, fake.authtoken, base_url=base_url, rate_limits=limits)
        started = time.monotonic()
        async with client:
            with Progress() as progress:
                exporters = [
                    Exporter(
                        client, name, out_dir / f"{name}.jsonl", progress=progress.callback(name)
                    )
                    for name in ("products", "orders", "customers")
                ]
                results = await asyncio.gather(*(e.run() for e in exporters))
        elapsed = time.monotonic() - started
    stats = fake.stats
    requests = sum(r.requests for r in results)
    per_second = limits[0][0] / limits[0][1]
    achieved = requests / elapsed if elapsed else 0.0
    print()
    print_results(results)
    print(
        f"\nsummary: {sum(r.items for r in results)} items, {requests} requests in {elapsed:.1f}s = "
        f"{achieved:.2f} req/s against a limit of {per_second:g} req/s ({achieved / per_second:.0%}); "
        f"rate-limit rejections: {stats.rejections}; server saw at most "
        f"{stats.max_in_window(limits[0][1])} requests in any {limits[0][1]:g}s window"
    )
    print(f"files in {out_dir}")
    return 0 if stats.rejections == 0 else EXIT_ERROR


def run(args: argparse.Namespace) -> int:
    """One process exporting three resources, or ``--processes N`` sharing one store."""
    if args.processes is not None:
        return asyncio.run(_demo_processes(args))
    return asyncio.run(_demo(args))


async def _demo_processes(args: argparse.Namespace) -> int:
    """N processes export one fake store: sharing its budget through Redis, then not."""
    from .._processes import greedy_schedule, run_fleet
    from .._storage import check_storage, redact_storage

    if args.processes < 1:
        raise UsageError("--processes must be at least 1")
    storage = args.rate_limit_storage or None
    check_storage(storage)  # a bad URL or a missing redis-py: one line, exit 2
    limits = parse_limits(args.limits)
    runs: list[tuple[str, str | None]] = [("in-memory limiter per process, nothing shared", None)]
    if storage is not None:
        runs.insert(0, (f"budget shared through {redact_storage(storage)}", storage))
    out_root = Path(args.out_dir or tempfile.mkdtemp(prefix="jumpseller-demo-"))
    print(
        f"{args.processes} processes each export {args.resource} ({getattr(args, args.resource)} "
        f"items) from one fake store with limits {' and '.join(f'{n}/{w:g}s' for n, w in limits)}"
        f"; latency {args.latency * 1000:.0f} ms",
        file=sys.stderr,
    )
    shared_ok = True
    for number, (label, run_storage) in enumerate(runs):
        fake = build_fake(
            args
        )  # a fresh store per run: the first run's minute does not weigh on it
        expected = list(getattr(fake.store, args.resource).ids)
        async with fake.run_in_background(port=0) as base_url:
            fleet = await run_fleet(
                args.processes,
                base_url=base_url,
                login=fake.login,
                authtoken=fake.authtoken,
                out_dir=out_root / f"run-{number + 1}",
                resource=args.resource,
                storage=run_storage,
                limits=limits,
            )
        exact = all(
            w.error is None and _exported_ids(Path(w.path)) == expected for w in fleet.workers
        )
        optimum = greedy_schedule(fleet.requests, limits)[-1] + args.latency
        makespan = fleet.makespan
        print(f"\n{label}:")
        for worker in fleet.workers:
            outcome = worker.error or f"{worker.items} items, {worker.requests} requests"
            print(f"  process {worker.index + 1}: {outcome}")
        print(
            f"  refusals: {fake.stats.rejections} of {fake.stats.requests} requests; "
            f"failed exports: {len(fleet.failed)}; every item exactly once in every file: "
            f"{'yes' if exact else 'NO'}\n"
            f"  makespan {makespan:.1f}s against an optimum of {optimum:.1f}s "
            f"({optimum / makespan if makespan else 0:.0%} of optimal); the store saw at most "
            f"{fake.stats.max_in_window(limits[0][1])} requests in any {limits[0][1]:g}s window"
        )
        if number == 0:
            shared_ok = fake.stats.rejections == 0 and not fleet.failed and exact
    print(f"\nfiles in {out_root}")
    return 0 if shared_ok else EXIT_ERROR


def _exported_ids(path: Path) -> list[int]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [json.loads(line)["id"] for line in lines if line]
