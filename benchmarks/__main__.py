"""``python -m benchmarks [--quick] [--only NAME ...] [--scale S]``: run the benchmarks, print
the tables."""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib
import platform
import sys
import time
from collections.abc import Awaitable, Callable

from ._common import Check, Section, table

# In the order they run; each module has ``async def run(quick: bool) -> list[Section]``
# (the limiter's also takes ``scale``).
BENCHMARKS = ("limiter", "throughput", "parsing", "memory", "stores", "speed", "processes")


def _runner(name: str, scale: float | None) -> Callable[[bool], Awaitable[list[Section]]]:
    module = importlib.import_module(f"benchmarks.{name}")
    runner: Callable[[bool], Awaitable[list[Section]]] = module.run
    if name == "limiter" and scale is not None:
        runner = functools.partial(module.run, scale=scale)
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


async def _main(names: list[str], quick: bool, scale: float | None) -> list[Section]:
    sections: list[Section] = []
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        produced = await _runner(name, scale)(quick)
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
    parser.add_argument(
        "--scale",
        type=float,
        metavar="S",
        help="time scale of the limiter benchmark (default 0.1: windows of 0.1 s and 6 s, "
        "5 ms latency); 1.0 = Jumpseller's real 8/1 s and 240/60 s with 50 ms latency, "
        "one run per client and latency, about 80 s each",
    )
    args = parser.parse_args(argv)
    names = [n for n in BENCHMARKS if not args.only or n in args.only]
    if args.scale is not None:
        if not 0.01 <= args.scale <= 1.0:
            parser.error("--scale must be between 0.01 and 1.0")
        if "limiter" not in names:
            parser.error("--scale applies to the limiter benchmark: add --only limiter")
    print(
        f"jumpseller-async benchmarks{' (--quick)' if args.quick else ''}: "
        f"Python {platform.python_version()} on {platform.machine()}, {_cpus()} CPUs",
        flush=True,
    )
    started = time.perf_counter()
    sections = asyncio.run(_main(names, args.quick, args.scale))
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
