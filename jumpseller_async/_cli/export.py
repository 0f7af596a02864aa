"""``jumpseller-async export RESOURCE``: a whole resource to JSON Lines or CSV, resumable."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from .._export import FORMATS, Exporter, resources
from ._common import add_budget_options, add_connection_options, client
from ._progress import Progress, print_results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The resource, the file and its format, resume and walk mode, the connection options."""
    parser.add_argument("resource", choices=sorted(resources()))
    parser.add_argument("--format", choices=FORMATS, default="jsonl")
    parser.add_argument("--out", help="output file (default RESOURCE.FORMAT)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted export")
    parser.add_argument(
        "--mode", choices=("after", "page"), help="walk by id (products, orders) or by page"
    )
    add_connection_options(parser, top=False)
    add_budget_options(parser, top=False)


async def _export(args: argparse.Namespace) -> int:
    out = Path(args.out or f"{args.resource}.{args.format}")
    async with client(args) as api:
        with Progress() as progress:
            exporter = Exporter(
                api,
                args.resource,
                out,
                fmt=args.format,
                resume=args.resume,
                mode=args.mode,
                progress=progress.callback(args.resource),
            )
            result = await exporter.run()
    print_results([result])
    return 0


def run(args: argparse.Namespace) -> int:
    """Runs the export with progress on stderr and its result line on stdout."""
    return asyncio.run(_export(args))
