"""Several real processes exporting one store: the ``demo --processes`` engine.

The tests and the ``processes`` benchmark drive it too. Each worker is a child Python process
(``python -m jumpseller_async._processes CONFIG``) with its own client, hence its own
in-process limiter, exporting one resource to its own file; with a ``rate_limit_storage`` they
share the store's budget through Redis. A start barrier keeps process start-up (imports, the
first connection) out of the measured makespan: each child says ``ready`` and waits for ``go``
on its stdin, and reports its start and end on ``time.monotonic`` (one clock for every process
on the machine) as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FleetResult", "ScaledClock", "WorkerResult", "greedy_schedule", "run_fleet"]

READY = "ready"
GO = "go"


class ScaledClock:
    """A clock running ``1 / scale`` times faster than real time (``scale`` real s per s).

    A fake store with ``time_scale=s`` keeps advertising per-second and per-minute limits;
    a client on this clock with ``scale=s`` reads them for windows of the same real length.
    """

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def monotonic(self) -> float:
        return time.monotonic() / self.scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) * self.scale)


def greedy_schedule(n: int, windows: Sequence[tuple[int, float]]) -> list[float]:
    """Earliest server stamps of ``n`` requests under strict sliding windows, the first at 0.

    Request ``k`` may arrive once, for every window ``(limit, seconds)``, request ``k - limit``
    arrived ``seconds`` before: no client can finish sooner.
    """
    times: list[float] = []
    for k in range(n):
        start = 0.0
        for limit, seconds in windows:
            if k >= limit:
                start = max(start, times[k - limit] + seconds)
        times.append(start)
    return times


@dataclass
class WorkerResult:
    """What one child process reported."""

    index: int
    items: int = 0
    requests: int = 0
    started: float = 0.0
    finished: float = 0.0
    error: str | None = None
    refused: int = 0
    """Refusals its limiter saw (HTTP 429/403)."""
    phantoms: int = 0
    """Placeholders its limiter added for requests it could not account for."""
    warnings: list[str] = field(default_factory=list)
    path: str = ""
    returncode: int | None = None


@dataclass
class FleetResult:
    """Every worker's report; times in real seconds on ``time.monotonic``."""

    workers: list[WorkerResult]

    @property
    def failed(self) -> list[WorkerResult]:
        return [w for w in self.workers if w.error is not None]

    @property
    def requests(self) -> int:
        return sum(w.requests for w in self.workers)

    @property
    def makespan(self) -> float:
        """Real seconds from the first worker's start to the last one's end."""
        done = [w for w in self.workers if w.finished]
        if not done:
            return 0.0
        return max(w.finished for w in done) - min(w.started for w in done)


# --------------------------------------------------------------------------- parent


async def run_fleet(
    processes: int,
    *,
    base_url: str,
    login: str,
    authtoken: str,
    out_dir: Path,
    resource: str = "products",
    page_size: int = 10,
    storage: str | None = None,
    scale: float = 1.0,
    limits: Sequence[tuple[int, float]] | None = None,
    max_retries: int = 6,
    during: Callable[[], Awaitable[None]] | None = None,
    start_timeout: float = 60.0,
) -> FleetResult:
    """Start ``processes`` workers, release them together, wait for every report.

    ``limits`` None keeps the client's stock limits (learning from the store's headers);
    ``scale`` gives each child a :class:`ScaledClock`. Each worker fetches 8 pages of
    ``page_size`` items at a time (small pages keep the run bound by the store's budget, not
    by the CPU that parses them) and writes every item as a JSON line. ``during`` runs once every worker is
    released (a test stops Redis in it).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    children = []
    try:
        for index in range(processes):
            config = {
                "index": index,
                "base_url": base_url,
                "login": login,
                "authtoken": authtoken,
                "resource": resource,
                "page_size": page_size,
                "out": str(out_dir / f"{resource}-{index}.jsonl"),
                "storage": storage,
                "scale": scale,
                "limits": None if limits is None else [list(w) for w in limits],
                "max_retries": max_retries,
            }
            children.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    __name__,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                    # The credentials travel on stdin, not argv: argv is world-readable (ps).
                )
            )
            assert children[-1].stdin is not None
            children[-1].stdin.write(json.dumps(config).encode() + b"\n")
            await children[-1].stdin.drain()
        for child in children:
            assert child.stdout is not None
            line = await asyncio.wait_for(child.stdout.readline(), start_timeout)
            if line.decode().strip() != READY:
                assert child.stderr is not None
                err = (await child.stderr.read()).decode(errors="replace").strip()
                raise RuntimeError(f"a worker process did not start: {err or line!r}")
        for child in children:
            assert child.stdin is not None
            child.stdin.write(GO.encode() + b"\n")
            await child.stdin.drain()
            child.stdin.close()
        side = asyncio.ensure_future(during()) if during is not None else None
        reports = await asyncio.gather(*(child.communicate() for child in children))
        if side is not None:
            await side
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
                await child.wait()
    workers = []
    for index, ((stdout, stderr), child) in enumerate(zip(reports, children, strict=True)):
        lines = stdout.decode(errors="replace").strip().splitlines()
        try:
            worker = WorkerResult(**json.loads(lines[-1]))
        except (IndexError, ValueError, TypeError):
            tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
            worker = WorkerResult(index, error=f"no report (exit {child.returncode}): {tail}")
        worker.returncode = child.returncode
        workers.append(worker)
    return FleetResult(workers)


# --------------------------------------------------------------------------- child


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def _work(config: dict[str, Any]) -> dict[str, Any]:
    from ._client import JumpsellerClient
    from ._export import _unwrap, resources
    from ._redact import get_logger
    from ._registry import find
    from .errors import JumpsellerError

    collected = _Collect()
    get_logger().addHandler(collected)
    kwargs: dict[str, Any] = {}
    if config["limits"] is not None:
        kwargs["rate_limits"] = [tuple(w) for w in config["limits"]]
    if config["scale"] != 1.0:
        kwargs["clock"] = ScaledClock(config["scale"])
    client = JumpsellerClient(
        config["login"],
        config["authtoken"],
        base_url=config["base_url"],
        rate_limit_storage=config["storage"],
        max_retries=config["max_retries"],
        **kwargs,
    )
    limiter = client.limiter
    redis_client = getattr(limiter, "_client", None)
    if callable(redis_client):
        # Connect before the barrier: start-up is not what the run measures.
        try:
            await asyncio.wait_for(redis_client().ping(), 5.0)
        except Exception as exc:  # the limiter falls back by itself; say so in the report
            collected.messages.append(f"warm-up ping failed: {type(exc).__name__}")
    print(READY, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    report: dict[str, Any] = {"index": config["index"], "path": config["out"]}
    report["started"] = time.monotonic()
    try:
        operation = find(resources()[config["resource"]].list_tool)
        items = 0
        async with client:
            pages = client.paginate(operation, limit=config["page_size"], concurrency=8)
            with Path(config["out"]).open("w", encoding="utf-8") as out:
                async for page in pages.pages():
                    kept = [item for item in page if item is not None]
                    out.writelines(json.dumps(_unwrap(item)) + "\n" for item in kept)
                    items += len(kept)
        report.update(items=items, requests=pages.requests)
    except JumpsellerError as exc:
        report["error"] = f"{type(exc).__name__}: {exc}"
    report["finished"] = time.monotonic()
    report["refused"] = limiter.stats.rate_limited
    report["phantoms"] = limiter.stats.phantoms
    report["warnings"] = collected.messages[:20]
    aclose = getattr(limiter, "aclose", None)
    if aclose is not None:
        await aclose()
    return report


def _child_main() -> int:
    config = json.loads(sys.stdin.readline())
    report = asyncio.run(_work(config))
    print(json.dumps(report), flush=True)
    return 0 if report.get("error") is None else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(_child_main())
