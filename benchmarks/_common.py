"""Shared pieces: result tables, the scaled clock, schedule bounds and child servers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------- results


@dataclass
class Check:
    """One figure with a target, for the summary at the end."""

    benchmark: str
    figure: str
    value: str
    target: str
    met: bool | None
    """None when the figure is informative only."""


@dataclass
class Section:
    """One printed table."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def render(self) -> str:
        return "\n".join(
            [f"### {self.title}", "", table(self.columns, self.rows), *notes_lines(self.notes)]
        )


def notes_lines(notes: Sequence[str]) -> list[str]:
    return ["", *(f"- {note}" for note in notes)] if notes else []


def table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, padded so it also reads well on a terminal."""
    widths = [len(c) for c in columns]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    separator = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(columns), separator, *(line(r) for r in rows)])


def fmt(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


def miss(text: str) -> None:
    """Say loudly that a target was missed: benchmarks report, they do not fail."""
    print(f"  !! TARGET MISSED: {text}", flush=True)


def progress(text: str) -> None:
    print(f"  .. {text}", flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# --------------------------------------------------------------------------- time


class ScaledClock:
    """The client's clock running ``1 / scale`` times faster than real time.

    The fake server scales its windows by ``time_scale`` but keeps advertising them as
    per-second and per-minute limits in its headers, and the client adopts advertised
    limits for the 1 s and 60 s windows. Giving the client a clock on which one real
    0.1 s lasts a "second" keeps both sides speaking of the same windows, so the client
    runs with its stock limits and header handling, only faster.
    """

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def monotonic(self) -> float:
        return time.monotonic() / self.scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) * self.scale)


def greedy_schedule(n: int, windows: Sequence[tuple[int, float]], gap: float = 0.0) -> list[float]:
    """Earliest send times of ``n`` requests, the first at 0, under sliding windows.

    Request ``k`` may go once, for every window ``(limit, seconds)``, the request ``limit``
    places earlier went ``seconds + gap`` before. With ``gap = 0`` these are the tightest
    server stamps a strict sliding log ``(t - W, t]`` accepts; ``gap = R`` (the round trip)
    is the rule a client must follow when it cannot see where in ``[send, answer]`` the
    server stamps a request.
    """
    times: list[float] = []
    for k in range(n):
        start = 0.0
        for limit, seconds in windows:
            if k >= limit:
                start = max(start, times[k - limit] + seconds + gap)
        times.append(start)
    return times


# --------------------------------------------------------------------------- servers


@contextlib.asynccontextmanager
async def serve(app: Any, prefix: str = "/v1") -> AsyncIterator[str]:
    """Serve an ASGI app under uvicorn on 127.0.0.1 in this event loop; yields the base URL.

    Like ``FakeJumpseller.run_in_background``, with the listening socket created with
    ``proto=IPPROTO_TCP``: asyncio sets TCP_NODELAY only on sockets whose ``proto`` says
    TCP, and without it uvicorn's separate header and body writes meet Nagle's algorithm
    and the client's delayed ACK, which adds ~40 ms to every answer on loopback. The
    library's helper lacked it until Finding 1 of BENCHMARKS.md was fixed; the limiter
    benchmark's ``(run_in_background)`` row keeps comparing the two.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        deadline = time.monotonic() + 10.0
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before starting")
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 10 s")
            await asyncio.sleep(0.005)
        yield f"http://127.0.0.1:{port}{prefix}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


# --------------------------------------------------------------------------- processes


def rss_kib() -> int:
    """Current resident set size of this process in KiB (Linux /proc)."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to tell who was saturated."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        # The command name may hold spaces; the fields after the closing parenthesis don't.
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


@dataclass
class ChildServer:
    base_url: str
    pid: int
    proc: subprocess.Popen[str]

    def command(self, line: str) -> dict[str, Any]:
        """Send a control command (see ``benchmarks._server``); blocks, so not while timing."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return answer


@contextlib.contextmanager
def child_server(kind: str, **options: Any) -> Iterator[ChildServer]:
    """A server in a child process (see ``benchmarks._server``) on 127.0.0.1.

    It lives until the context exits: closing its stdin asks it to stop, and it is
    killed (by its own handle) if it has not stopped within a few seconds.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._server", kind, json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("http://"):
            raise RuntimeError(f"the {kind} server did not start (said {line!r})")
        yield ChildServer(line, proc.pid, proc)
    finally:
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
