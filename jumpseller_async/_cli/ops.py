"""``jumpseller-async ops``: every operation, its route and which spec documents it."""

from __future__ import annotations

import argparse
import sys

from .._registry import index


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``ops`` takes no arguments."""


def run(args: argparse.Namespace) -> int:
    """Prints one line per operation on stdout and the counts on stderr."""
    from ..api._sources import SOURCES

    registry = index()
    width = max(len(tool) for tool in registry)
    for tool, op in registry.items():
        # Which spec documents it: both, apis.guru (only the old one) or official (only the new).
        source = SOURCES.get((op.method, op.path), "?")
        print(f"{tool:<{width}}  {op.method:<6} {op.path}  [{source}]  {op.summary}")
    counts = ", ".join(
        f"{sum(1 for s in SOURCES.values() if s == name)} {label}"
        for name, label in (
            ("both", "in both specs"),
            ("official", "only in the official spec"),
            ("apis.guru", "only in apis.guru's"),
        )
    )
    print(f"{len(registry)} operations ({counts})", file=sys.stderr)
    return 0
