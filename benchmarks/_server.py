"""Servers run in a child process, so the client under test has its event loop to itself.

``python -m benchmarks._server KIND OPTIONS_JSON`` prints the base URL on one line, then
serves on 127.0.0.1 until its stdin closes. Meanwhile it answers one-line commands on
stdin with one line of JSON on stdout (``fake`` only; see :func:`_command`).

* ``fake``: :class:`FakeJumpseller` under uvicorn; OPTIONS_JSON are its keyword arguments.
* ``fixed``: a minimal HTTP/1.1 keep-alive server answering every request with the same
  small JSON body. It costs far less per request than any Python client, so a client
  benchmark against it measures the client and not the server.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

_FIXED_BODY = b'{"count":1234}'
_FIXED_RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: application/json; charset=utf-8\r\n"
    b"content-length: " + str(len(_FIXED_BODY)).encode() + b"\r\n"
    b"\r\n" + _FIXED_BODY
)


class _FixedProtocol(asyncio.Protocol):
    """Answers each request head with the fixed response; GETs have no body to skip."""

    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        answers = self._buffer.count(b"\r\n\r\n")
        if answers and self._transport is not None:
            self._buffer = self._buffer[self._buffer.rfind(b"\r\n\r\n") + 4 :]
            self._transport.write(_FIXED_RESPONSE * answers)


def _command(fake: Any, line: str) -> dict[str, Any]:
    """``stats W1 W2 ...`` (window lengths as configured, before time_scale) or ``reset``."""
    verb, *args = line.split()
    if verb == "reset":
        fake.stats.reset()
        fake.reset_limits()
        return {"ok": True}
    if verb == "stats":
        stats = fake.stats
        return {
            "requests": stats.requests,
            "rejections": stats.rejections,
            "bans": stats.bans,
            "banned_rejections": stats.banned_rejections,
            "max_in_window": [stats.max_in_window(float(w)) for w in args],
            "attempt_peaks": [stats.attempt_peaks.get(float(w), 0) for w in args],
        }
    return {"error": f"unknown command {verb!r}"}


async def _wait_for_stdin_eof(fake: Any = None) -> None:
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        if line.strip():
            answer = _command(fake, line) if fake is not None else {"error": "no commands"}
            print(json.dumps(answer), flush=True)


async def _serve_fixed() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_FixedProtocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}/v1", flush=True)
    try:
        await _wait_for_stdin_eof()
    finally:
        server.close()
        await server.wait_closed()


async def _serve_fake(options: dict[str, Any]) -> None:
    from jumpseller_async.testing import FakeJumpseller

    from ._common import serve

    # "run_in_background": serve through the library's own helper rather than ours.
    helper = options.pop("run_in_background", False)
    fake = FakeJumpseller(**options)
    async with fake.run_in_background(port=0) if helper else serve(fake) as base_url:
        print(base_url, flush=True)
        await _wait_for_stdin_eof(fake)


def main() -> None:
    kind, options = sys.argv[1], json.loads(sys.argv[2])
    if kind == "fixed":
        asyncio.run(_serve_fixed())
    elif kind == "fake":
        asyncio.run(_serve_fake(options))
    else:
        raise SystemExit(f"unknown server kind {kind!r}")


if __name__ == "__main__":
    main()
