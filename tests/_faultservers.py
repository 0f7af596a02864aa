"""A real HTTP/1.1 server on a local socket whose every answer is scripted, faults included.

The fake Jumpseller answers like the API; this one misbehaves on purpose, at the socket level:
a connection reset (RST) before or after the request was read, a body cut off mid-way, an answer
that arrives late. Each test starts and stops its own server (``async with FaultServer(...)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


class Reset:
    """Abort the connection with a TCP RST after reading the request."""


@dataclass
class Cut:
    """Send the head and ``sent`` bytes of a body announced as ``announced`` bytes, then reset."""

    sent: bytes = b'{"product": {"id"'
    announced: int = 4096
    status: int = 200


@dataclass
class Late:
    """Answer ``answer`` after ``seconds``."""

    seconds: float
    answer: Answer = field(default_factory=Answer)


@dataclass
class Trickle:
    """Send the head, then the body one byte every ``interval`` seconds (each read is quick)."""

    body: bytes = b'{"product": {"id": 5}}' + b" " * 1000
    interval: float = 0.1


Action = Answer | Reset | Cut | Late | Trickle
Script = Callable[[Seen, int], Action | Awaitable[Action]]


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _head(status: int, headers: dict[str, str], length: int, content_type: str) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", f"Content-Length: {length}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class FaultServer:
    """``async with FaultServer(script) as server``: ``server.base_url``, ``server.seen``.

    ``script(request, index)`` returns the :data:`Action` for the ``index``-th request (0-based).
    """

    def __init__(self, script: Script) -> None:
        self.script = script
        self.seen: list[Seen] = []
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def __aenter__(self) -> FaultServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _read(self, reader: asyncio.StreamReader) -> Seen | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        return Seen(method, target, headers, body)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                seen = await self._read(reader)
                if seen is None:
                    return
                index = len(self.seen)
                self.seen.append(seen)
                action = self.script(seen, index)
                if not isinstance(action, (Answer, Reset, Cut, Late, Trickle)):
                    action = await action
                if isinstance(action, Late):
                    await asyncio.sleep(action.seconds)
                    action = action.answer
                if isinstance(action, Reset):
                    _reset(writer)
                    return
                if isinstance(action, Trickle):
                    writer.write(_head(200, {}, len(action.body), "application/json"))
                    for index in range(len(action.body)):
                        writer.write(action.body[index : index + 1])
                        await writer.drain()
                        await asyncio.sleep(action.interval)
                    continue
                if isinstance(action, Cut):
                    writer.write(_head(action.status, {}, action.announced, "application/json"))
                    writer.write(action.sent)
                    await writer.drain()
                    _reset(writer)
                    return
                writer.write(
                    _head(action.status, action.headers, len(action.body), action.content_type)
                )
                writer.write(action.body)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            # Shutting down with a request pending. Python 3.11's stream callback logs a
            # cancelled handler task as an error, so end it normally.
            return
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()
