"""``python -m benchmarks [--quick] [--only NAME ...]``: run the benchmarks, print the tables."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import platform
import sys
import time
from collections.abc import Awaitable, Callable

from ._common import Check, Section, table

# In the order they run; each module has ``async def run(quick: bool) -> list[Section]``.
BENCHMARKS = ("limiter", "throughput", "parsing", "memory", "stores")


def _runner(name: str) -> Callable[[bool], Awaitable[list[Section]]]:
    module = importlib.import_module(f"benchmarks.{name}")
    runner: Callable[[bool], Awaitable[list[Section]]] = module.run
    return runner


def _summary(checks: list[Check]) -> str:
    rows = [
        [
            c.benchmark,
            c.figure,
            c.value,
            c.target,
            "-" if c.met is None else ("met" if c.met else "MISSED"),
        ]
        for c in checks
    ]
    return table(["benchmark", "figure", "value", "target", "status"], rows)


async def _main(names: list[str], quick: bool) -> list[Section]:
    sections: list[Section] = []
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        produced = await _runner(name)(quick)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
        for section in produced:
            print()
            print(section.render())
            print(flush=True)
        sections += produced
    return sections


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes and fewer rounds (about 90 s)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    args = parser.parse_args(argv)
    names = [n for n in BENCHMARKS if not args.only or n in args.only]
    print(
        f"jumpseller-async benchmarks{' (--quick)' if args.quick else ''}: "
        f"Python {platform.python_version()} on {platform.machine()}, {_cpus()} CPUs",
        flush=True,
    )
    started = time.perf_counter()
    sections = asyncio.run(_main(names, args.quick))
    checks = [c for s in sections for c in s.checks]
    print("### Summary\n")
    print(_summary(checks))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    missed = [c for c in checks if c.met is False]
    if missed:
        print(f"\n{len(missed)} target(s) missed (see MISSED above); the run itself succeeded.")
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
