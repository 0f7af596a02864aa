"""Export progress on stderr and the results table: what ``export`` and ``demo`` print."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

from .._export import ExportResult


class Progress:
    """Rich progress bars when available and on a terminal; plain lines otherwise."""

    def __init__(self) -> None:
        self._rich: Any = None
        try:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress
        except ImportError:
            return
        self._rich = RichProgress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("[progress.data.speed]{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            transient=False,
        )

    def __enter__(self) -> Progress:
        if self._rich is not None:
            self._rich.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.__exit__(*exc)

    def callback(self, name: str) -> Any:
        """The progress callback of one export, named ``name`` on screen."""
        started = time.monotonic()
        if self._rich is None:
            last = [0.0]

            def plain(items: int, total: int | None) -> None:
                now = time.monotonic()
                if now - last[0] >= 1.0 or (total is not None and items >= total):
                    last[0] = now
                    print(
                        f"{name}: {items}/{total if total is not None else '?'} items",
                        file=sys.stderr,
                    )

            return plain
        task = self._rich.add_task(name, total=None, rate="")

        def update(items: int, total: int | None) -> None:
            elapsed = max(time.monotonic() - started, 1e-9)
            self._rich.update(
                task, completed=items, total=total, rate=f"{items / elapsed:,.0f} items/s"
            )

        return update


def print_results(results: Sequence[ExportResult]) -> None:
    """One line per finished export: items, file, time, requests."""
    for result in results:
        resumed = f" (resumed after {result.resumed_from})" if result.resumed_from else ""
        nulls = f", {result.null_items} null items skipped" if result.null_items else ""
        print(
            f"{result.resource}: {result.items} items{resumed} → {result.path} "
            f"in {result.elapsed:.1f}s, {result.requests} requests{nulls}"
        )
