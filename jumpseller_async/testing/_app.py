"""The ASGI application: credentials, rate limits, faults and latency around the routes."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime as dt
import fnmatch
import json
import logging
import math
import socket
import time
from array import array
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

import httpx

from .._redact import install_log_redaction, register_secret
from ._http import HTTPError, Request, Response, Router
from ._routes import PARTNER_PATHS, ROUTES
from ._store import Store
from ._store_limits import Clock, Decision, Limits, StoreRateLimiter

if TYPE_CHECKING:
    from ._webhooks import WebhookDelivery

__all__ = ["DEFAULT_LIMITS", "FAULT_KINDS", "FakeJumpseller", "SimulatedDrop", "Stats"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_LIMITS: tuple[tuple[int, float], ...] = ((8, 1.0), (240, 60.0))
FAULT_KINDS = ("500", "502", "503", "504", "520", "drop", "slow", "html", "truncated")

_NGINX = (
    "<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_FAULT_BODIES: dict[str, tuple[int, str, str]] = {
    "500": (500, "application/json; charset=utf-8", '{"message":"Internal Server Error"}'),
    "502": (502, "text/html", _NGINX.format(code=502, text="Bad Gateway")),
    "503": (503, "text/html", _NGINX.format(code=503, text="Service Temporarily Unavailable")),
    "504": (504, "text/html", _NGINX.format(code=504, text="Gateway Time-out")),
    "520": (
        520,
        "text/html; charset=UTF-8",
        "<!DOCTYPE html><html><head><title>api.jumpseller.com | 520: Web server is returning an unknown error</title></head>"
        "<body><h1>Web server is returning an unknown error</h1><p>Error code 520</p></body></html>",
    ),
    "html": (
        200,
        "text/html; charset=utf-8",
        "<!DOCTYPE html><html><head><title>Jumpseller</title></head>"
        "<body><h1>We'll be back soon</h1><p>Jumpseller is under maintenance.</p></body></html>",
    ),
}


_MAX_BODY_DEPTH = 64


class _Unstorable(ValueError):
    """A body that decodes but could not be answered back as JSON."""


def _refuse_constant(name: str) -> Any:
    # json.loads accepts NaN and ±Infinity, which are not JSON: stored, they would be echoed
    # back as invalid JSON.
    raise _Unstorable(f"holds {name}, which is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):
        # 1e999 is valid JSON grammar but decodes to Infinity, the same trap as above.
        raise _Unstorable(f"holds the number {text[:40]}, out of a double's range")
    return value


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _body_problem(value: Any, limit: int) -> str | None:
    """Why decoded body ``value`` cannot be stored, or None.

    Bodies nested more than ``limit`` deep would exhaust the handlers' recursive walks; a lone
    surrogate (``"\\ud800"`` is valid JSON escaping) cannot be encoded back into an answer.
    """
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if not _is_text(node):
                return "holds a string with a lone surrogate (not UTF-8 text)"
            continue
        if isinstance(node, dict):
            if not all(_is_text(key) for key in node):
                return "holds a key with a lone surrogate (not UTF-8 text)"
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return "is nested too deeply"
        stack.extend((child, depth + 1) for child in children)
    return None


class SimulatedDrop(httpx.RemoteProtocolError):
    """Raised by the app to drop a connection without an answer.

    In-process (``httpx.ASGITransport``) it reaches the client as the same exception type
    httpx raises when a real server hangs up; under uvicorn it makes the server close the
    connection.
    """


@dataclass
class Stats:
    """What the fake saw.

    Window lengths are given as configured, before ``time_scale``.
    """

    requests: int = 0
    """Every HTTP request received, answered or not."""
    served: int = 0
    """Requests that reached a route handler (any status)."""
    rejections: int = 0
    """Requests refused by the rate limit, bans included."""
    banned_rejections: int = 0
    bans: int = 0
    unauthorized: int = 0
    faults: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    window_peaks: dict[float, int] = field(default_factory=dict)
    """Per configured window: most requests one store key got admitted within it."""
    attempt_peaks: dict[float, int] = field(default_factory=dict)
    """Per configured window: most requests one store key attempted (admitted or not)."""
    admitted_at: array[float] = field(default_factory=lambda: array("d"))
    """Clock time of every admitted request, for :meth:`max_in_window`."""
    time_scale: float = 1.0

    def max_in_window(self, seconds: float) -> int:
        """Most admitted requests (all keys together) in any sliding window of ``seconds``.

        Any length works, not only the configured windows: benchmarks use it to show how
        close a client came to a limit.
        """
        width = seconds * self.time_scale
        times = sorted(self.admitted_at)
        best = start = 0
        for end, moment in enumerate(times):
            # Same half-open window as the limiter: (moment - width, moment].
            while moment - times[start] >= width:
                start += 1
            best = max(best, end - start + 1)
        return best

    def reset(self) -> None:
        fresh = Stats(time_scale=self.time_scale)
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))


@dataclass
class _Fault:
    kind: str
    remaining: int
    path: str | None
    method: str | None
    seconds: float

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)


class FakeJumpseller:
    """A fake Jumpseller API: an ASGI app serving all 183 operations from memory.

    Use in-process with ``httpx.AsyncClient(transport=httpx.ASGITransport(app=fake),
    base_url="http://fake/v1")`` or as a real server with :meth:`run_in_background` /
    :meth:`serve`.

    Rate limits are sliding windows ``((count, seconds), ...)`` per store key (the login,
    or the bearer token); ``time_scale`` multiplies window lengths and ``ban_seconds`` so
    tests can use short windows with realistic limits, and ``clock`` replaces
    ``time.monotonic``. ``sleep`` replaces ``asyncio.sleep`` for latency and "slow" faults.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        products: int = 120,
        customers: int = 80,
        orders: int = 150,
        categories: int = 12,
        limits: Limits | None = DEFAULT_LIMITS,
        reject_status: int = 429,
        latency: float = 0.0,
        ban_after: int | None = 2000,
        ban_seconds: float = 300.0,
        login: str = "demo-store",
        authtoken: str = "demo-token-000000000000000000000000",
        bearer_tokens: Collection[str] = (),
        partner_code: str = "demo-partner",
        partner_auth_token: str = "demo-partner-token-0000000000000000",
        clock: Clock | None = None,
        time_scale: float = 1.0,
        sleep: Sleep | None = None,
        create_status: int = 200,
        max_limit: int = 100,
        quirks: bool = True,
        retry_after_header: bool = False,
        limit_headers: bool = True,
        prefix: str = "/v1",
    ) -> None:
        if reject_status not in (403, 429):
            raise ValueError("reject_status must be 403 or 429")
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.store = Store(
            seed=seed,
            login=login,
            products=products,
            customers=customers,
            orders=orders,
            categories=categories,
            quirks=quirks,
        )
        self.stats = Stats(time_scale=time_scale)
        self.login = login
        self.authtoken = authtoken
        self.bearer_tokens = set(bearer_tokens)
        self.partner_code = partner_code
        self.partner_auth_token = partner_auth_token
        self.reject_status = reject_status
        self.latency = latency
        self.create_status = create_status
        self.max_limit = max_limit
        self.retry_after_header = retry_after_header
        self.limit_headers = limit_headers
        self.prefix = prefix.rstrip("/")
        self.clock: Clock = clock or time.monotonic
        self.time_scale = time_scale
        self._sleep: Sleep = sleep or asyncio.sleep
        self.limits: tuple[tuple[int, float], ...] = tuple(
            (int(c), float(s)) for c, s in (limits or ())
        )
        self.limiter: StoreRateLimiter | None = (
            StoreRateLimiter(
                [(c, s * time_scale) for c, s in self.limits],
                clock=self.clock,
                ban_after=ban_after,
                ban_seconds=ban_seconds * time_scale,
            )
            if self.limits
            else None
        )
        seconds = [s for _, s in self.limits]
        # Header names speak of seconds and minutes; with other windows the first two stand in.
        self._second_window = seconds.index(1.0) if 1.0 in seconds else (0 if seconds else None)
        self._minute_window = (
            seconds.index(60.0) if 60.0 in seconds else (1 if len(seconds) > 1 else None)
        )
        self._faults: list[_Fault] = []
        self.router = Router(ROUTES)

    # -- public helpers --------------------------------------------------------------------

    @property
    def routes(self) -> list[tuple[str, str]]:
        """Every ``(METHOD, path template)`` served, without the ``/v1`` prefix."""
        return self.router.table()

    def inject_fault(
        self,
        kind: str,
        count: int = 1,
        path: str | None = None,
        *,
        method: str | None = None,
        seconds: float = 5.0,
    ) -> None:
        """Make the next ``count`` matching requests fail with ``kind`` (one of FAULT_KINDS).

        ``path`` is a glob over the path without the prefix (``"/products*"``); ``seconds``
        is the delay of a "slow" fault. Faults apply after credentials and rate limits.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {FAULT_KINDS}")
        if count < 1:
            raise ValueError("count must be >= 1")
        if path is not None and self.prefix and path.startswith(self.prefix + "/"):
            path = path[len(self.prefix) :]
        self._faults.append(_Fault(kind, count, path, method.upper() if method else None, seconds))

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def pending_faults(self) -> int:
        return sum(f.remaining for f in self._faults)

    def reset_limits(self) -> None:
        """Forget every sliding log, rejection count and ban."""
        if self.limiter is not None:
            self.limiter.reset()

    @property
    def hooks_token(self) -> str:
        """The token that signs this store's webhooks (also ``hooks_token`` in /store/info.json)."""
        return self.store.seeder.hooks_token

    async def deliver(self, event: str, resource: Any, url: str, **options: Any) -> WebhookDelivery:
        """Send a webhook as Jumpseller does: ``POST url`` with the resource's API answer as
        body and the ``Jumpseller-Event``, ``-Store-Code``, ``-Triggered-At`` and
        ``-Hmac-Sha256`` headers, signed with :attr:`hooks_token`.

        ``resource`` is an id (looked up by the event's resource: ``order_paid`` → orders) or a
        JSON object. Options: ``transport`` (an ASGI app in-process), ``hooks_token`` (sign
        with another token, to forge), ``triggered_at``, ``retries`` (more tries while not 2xx).
        The returned delivery can be sent again with :func:`send_delivery` (a replay).
        """
        from ._webhooks import deliver

        return await deliver(self, event, resource, url, **options)

    # -- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        self.stats.requests += 1
        body = await self._read_body(receive)
        if self.latency > 0:
            await self._sleep(self.latency)
        response = await self._handle(scope, body, send)
        if response is None:
            return
        self.stats.by_status[response.status] += 1
        payload = response.payload()
        headers = [
            (b"content-type", response.content_type.encode()),
            (b"content-length", str(len(payload)).encode()),
            *((k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers),
        ]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _read_body(receive: Receive) -> bytes:
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    async def _handle(self, scope: Scope, body: bytes, send: Send) -> Response | None:
        method = str(scope["method"]).upper()
        raw_path = _raw_path(scope)
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)

        if self.prefix:
            if raw_path != self.prefix and not raw_path.startswith(self.prefix + "/"):
                return Response(404, {"message": "Not found"}, self._limit_headers(None))
            raw_path = raw_path[len(self.prefix) :] or "/"
        matched = self.router.match(method, raw_path)
        path = _decoded(raw_path)

        key = self._authenticate(headers, query, partner=path in PARTNER_PATHS)
        if key is None:
            self.stats.unauthorized += 1
            return Response(401, {"message": "Unauthorized"}, self._limit_headers(None))

        decision = self._admit(key)
        limit_headers = self._limit_headers(decision)
        if decision is not None and not decision.allowed:
            return self._rejection(decision, limit_headers)

        fault = self._take_fault(method, path, headers)
        if fault is not None:
            kind, seconds = fault
            self.stats.faults += 1
            if kind == "drop":
                await self._drop(send)
                return None
            if kind == "slow":
                await self._sleep(seconds)
            elif kind != "truncated":
                status, content_type, text = _FAULT_BODIES[kind]
                return Response(
                    status, raw=text.encode(), headers=limit_headers, content_type=content_type
                )

        response = self._route(matched, method, path, query, body)
        response.headers.extend(limit_headers)
        if fault is not None and fault[0] == "truncated":
            payload = response.payload()
            response.raw = payload[: max(1, len(payload) // 2)]
            response.status = 200
        return response

    def _route(
        self,
        matched: Any,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: bytes,
    ) -> Response:
        if matched is None:
            return Response(404, {"message": "Not found"})
        if matched is False:
            return Response(405, {"message": f"Method {method} not allowed on {path}"})
        handler, params = matched
        parsed: Any = None
        if body.strip():
            try:
                parsed = json.loads(
                    body, parse_constant=_refuse_constant, parse_float=_finite_float
                )
            except _Unstorable as exc:
                return Response(400, {"message": f"Request body {exc}"})
            except (ValueError, RecursionError):
                return Response(400, {"message": "Request body is not valid JSON"})
            problem = _body_problem(parsed, _MAX_BODY_DEPTH)
            if problem is not None:
                # Refused before any handler runs, so nothing is stored.
                return Response(400, {"message": f"Request body {problem}"})
        request = Request(
            method=method,
            path=path,
            params=params,
            query=query,
            body=parsed,
            store=self.store,
            create_status=self.create_status,
            max_limit=self.max_limit,
        )
        self.stats.served += 1
        try:
            response: Response = handler(request)
        except HTTPError as exc:
            return Response(exc.status, exc.body)
        return response

    # -- credentials -----------------------------------------------------------------------

    def _authenticate(
        self, headers: dict[str, str], query: dict[str, list[str]], *, partner: bool
    ) -> str | None:
        """The rate-limit key of valid credentials, or None."""
        wanted = (
            (self.partner_code, self.partner_auth_token)
            if partner
            else (self.login, self.authtoken)
        )
        names = ("partner_code", "auth_token") if partner else ("login", "authtoken")
        authorization = headers.get("authorization", "")
        scheme, _, value = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                user, _, password = (
                    base64.b64decode(value.strip(), validate=True).decode().partition(":")
                )
            except (binascii.Error, UnicodeDecodeError):
                return None
            return _key(partner, user) if (user, password) == wanted else None
        if scheme == "bearer" and not partner:
            token = value.strip()
            return token if token in self.bearer_tokens else None
        if authorization:
            return None
        user = (query.get(names[0]) or [""])[-1]
        password = (query.get(names[1]) or [""])[-1]
        return _key(partner, user) if (user, password) == wanted else None

    # -- rate limits -----------------------------------------------------------------------

    def _admit(self, key: str) -> Decision | None:
        now = self.clock()
        if self.limiter is None:
            self.stats.admitted_at.append(now)
            return None
        decision = self.limiter.check(key, now)
        log = self.limiter.log(key)
        stats = self.stats
        for (_, seconds), admitted, attempted in zip(
            self.limits, log.max_admitted, log.max_attempted, strict=True
        ):
            stats.window_peaks[seconds] = max(stats.window_peaks.get(seconds, 0), admitted)
            stats.attempt_peaks[seconds] = max(stats.attempt_peaks.get(seconds, 0), attempted)
        if decision.allowed:
            stats.admitted_at.append(now)
        if not decision.allowed:
            self.stats.rejections += 1
            if decision.ban_started:
                self.stats.bans += 1
            elif decision.banned_until is not None:
                self.stats.banned_rejections += 1
        return decision

    def _limit_headers(self, decision: Decision | None) -> list[tuple[str, str]]:
        if not self.limit_headers:
            return []  # like the docs-era API: refusals say nothing about the windows
        remaining = decision.remaining if decision is not None else tuple(c for c, _ in self.limits)
        out: list[tuple[str, str]] = []
        for label, index in (
            ("PerSecond", self._second_window),
            ("PerMinute", self._minute_window),
        ):
            if index is None:
                continue
            out.append((f"Jumpseller-{label}RateLimit-Limit", str(self.limits[index][0])))
            out.append((f"Jumpseller-{label}RateLimit-Remaining", str(remaining[index])))
        return out

    def _rejection(self, decision: Decision, headers: list[tuple[str, str]]) -> Response:
        headers = list(headers)
        if decision.banned_until is not None:
            # The header speaks wall-clock UTC even when the limiter runs on a fake clock.
            ends = dt.datetime.now(dt.timezone.utc) + dt.timedelta(
                seconds=max(0.0, decision.banned_until - self.clock())
            )
            headers.append(
                ("Jumpseller-BannedByRateLimit-Reset", ends.replace(microsecond=0).isoformat())
            )
        if self.retry_after_header:
            headers.append(("Retry-After", str(max(1, int(decision.retry_after + 0.999)))))
        return Response(self.reject_status, {"message": "Rate Limit Exceeded"}, headers)

    # -- faults ----------------------------------------------------------------------------

    def _take_fault(
        self, method: str, path: str, headers: dict[str, str]
    ) -> tuple[str, float] | None:
        adhoc = headers.get("x-fake-fault")
        if adhoc:
            kind, _, seconds = adhoc.strip().lower().partition(":")
            if kind in FAULT_KINDS:
                try:
                    delay = float(seconds) if seconds else 5.0
                except ValueError:
                    delay = 5.0
                return kind, delay
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault.kind, fault.seconds
        return None

    @staticmethod
    async def _drop(send: Send) -> None:
        # uvicorn answers 500 when an app fails before starting a response but closes the
        # connection when it fails after: start one, then fail.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        raise SimulatedDrop("Server disconnected without sending a response.")

    # -- real servers ----------------------------------------------------------------------

    def serve(self, host: str = "127.0.0.1", port: int = 8000) -> None:
        """Run a real HTTP server until interrupted (needs uvicorn)."""
        uvicorn = _import_uvicorn()
        _quiet_simulated_drops()
        _redact_server_logs(self)
        uvicorn.run(self, host=host, port=port, log_level="warning", lifespan="off")

    @contextlib.asynccontextmanager
    async def run_in_background(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve on ``host:port`` (0 picks a free port) in a task of the running loop;
        yields the base URL, e.g. ``http://127.0.0.1:54321/v1``."""
        uvicorn = _import_uvicorn()
        _quiet_simulated_drops()
        _redact_server_logs(self)
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that name it, and
        # without it uvicorn's two writes (head, body) wait ~40 ms on the peer's delayed ACK.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.setblocking(False)
        bound_port = sock.getsockname()[1]
        config = uvicorn.Config(self, log_level="warning", lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped before starting")
                await asyncio.sleep(0.005)
            shown = f"[{host}]" if ":" in host else host
            yield f"http://{shown}:{bound_port}{self.prefix}"
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await task
            sock.close()


def _key(partner: bool, user: str) -> str:
    return f"partner:{user}" if partner else user


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        # Some servers include the query string in raw_path.
        return raw.split(b"?", 1)[0].decode("latin-1")
    return str(scope.get("path", "/"))


def _decoded(raw_path: str) -> str:
    return unquote(raw_path)


def _import_uvicorn() -> Any:
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "a real server needs uvicorn: pip install 'jumpseller-async[cli]'"
        ) from exc
    return uvicorn


class _DropFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, SimulatedDrop)


def _quiet_simulated_drops() -> None:
    # A simulated drop is a feature, not a server error worth a traceback.
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropFilter) for f in logger.filters):
        logger.addFilter(_DropFilter())


def _redact_server_logs(fake: FakeJumpseller) -> None:
    # uvicorn logs request targets, which carry the token with query credentials.
    for secret in (fake.authtoken, fake.partner_auth_token, *fake.bearer_tokens):
        register_secret(secret)
    install_log_redaction(extra=("uvicorn", "uvicorn.error", "uvicorn.access"))
