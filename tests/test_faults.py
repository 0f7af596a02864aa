"""The fault suite: a hostile server or hostile input never hangs, crashes, or leaks a secret.

Socket-level faults (resets, bodies cut mid-way, late answers, cancellation) run against real
local servers (``tests/_faultservers.py``) that each test starts and stops; body and header
faults run on ``httpx.MockTransport``. Retry back-offs run on a clock whose sleeps return at once,
so nothing here waits on real time except where a real socket is the point (well under a second).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

import jumpseller_async
from jumpseller_async import (
    UNSET,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    JumpsellerClient,
    JumpsellerError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimiter,
    RateLimitError,
    ResponseParseError,
    ServerError,
)
from jumpseller_async._cli import main as cli_main
from jumpseller_async.api.orders import post_orders_json
from jumpseller_async.api.products import (
    get_products_id_json,
    get_products_json,
    put_products_id_json,
)
from jumpseller_async.models import OrderCreate, OrderCreateFields, ProductEdit, ProductEditFields
from jumpseller_async.testing import FakeClock, FakeJumpseller
from tests._faultservers import Answer, Cut, FaultServer, Late, Reset, Seen, Trickle

LOGIN = "fault-store"
TOKEN = "fault-suite-token-7f3a9c2e5b8d1046"
BASIC = base64.b64encode(f"{LOGIN}:{TOKEN}".encode()).decode()
# Every form the token can take on the wire or in an echo.
SECRET_FORMS = (TOKEN, BASIC, quote(TOKEN, safe=""))

NESTED = b"[" * 100_000 + b"]" * 100_000

_DEFAULT_LIMITS = [(8, 1.0), (240, 60.0)]


class NoWaitClock:
    """Real monotonic time, but back-off sleeps return at once (the sockets stay real)."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)


def socket_client(base_url: str, **kwargs: Any) -> JumpsellerClient:
    kwargs.setdefault("rate_limits", None)
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("clock", NoWaitClock())
    return JumpsellerClient(LOGIN, TOKEN, base_url=base_url, **kwargs)


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response], *, auth: str = "basic", **kwargs: Any
) -> JumpsellerClient:
    kwargs.setdefault("rate_limits", None)
    kwargs.setdefault("clock", NoWaitClock())
    return JumpsellerClient(
        LOGIN, TOKEN, auth=auth, transport=httpx.MockTransport(handler), **kwargs
    )


def product_answer(product_id: int = 5) -> Answer:
    return Answer(body=json.dumps({"product": {"id": product_id}}).encode())


def order_body() -> OrderCreate:
    return OrderCreate(order=OrderCreateFields(status="Pending Payment"))


async def bounded(awaitable: Any, seconds: float = 10.0) -> Any:
    """A hang guard, not a timing assertion: a call that hangs fails the test instead."""
    return await asyncio.wait_for(awaitable, seconds)


# --------------------------------------------------------------------------- connection faults


@pytest.mark.integration
@pytest.mark.parametrize("fault", [Reset(), Cut()], ids=["reset", "cut-mid-body"])
async def test_get_is_retried_through_socket_faults(fault: Reset | Cut) -> None:
    def script(seen: Seen, index: int) -> Any:
        return fault if index < 2 else product_answer()

    async with FaultServer(script) as server, socket_client(server.base_url) as client:
        product = await bounded(get_products_id_json.asyncio(5, client=client))
    assert product.product.id == 5
    assert len(server.seen) == 3


@pytest.mark.integration
@pytest.mark.parametrize("fault", [Reset(), Cut()], ids=["reset", "cut-mid-body"])
async def test_get_gives_up_with_a_typed_error(fault: Reset | Cut) -> None:
    async with FaultServer(lambda seen, index: fault) as server:
        async with socket_client(server.base_url, max_retries=2) as client:
            with pytest.raises(APIConnectionError) as info:
                await bounded(get_products_id_json.asyncio(5, client=client))
    assert len(server.seen) == 3
    assert "after 2 retries" in str(info.value)
    assert info.value.method == "GET"


@pytest.mark.integration
@pytest.mark.parametrize("fault", [Reset(), Cut()], ids=["reset", "cut-mid-body"])
async def test_post_that_reached_the_server_is_sent_once(fault: Reset | Cut) -> None:
    async with FaultServer(lambda seen, index: fault) as server:
        async with socket_client(server.base_url) as client:
            with pytest.raises(APIConnectionError):
                await bounded(post_orders_json.asyncio(client=client, body=order_body()))
    assert [seen.method for seen in server.seen] == ["POST"]


@pytest.mark.integration
async def test_connection_refused_is_typed_and_retried_even_for_post() -> None:
    async with FaultServer(lambda seen, index: product_answer()) as server:
        base_url = server.base_url
    # The server is gone: nothing listens on that port any more.
    clock = NoWaitClock()
    async with socket_client(base_url, max_retries=2, clock=clock) as client:
        with pytest.raises(APIConnectionError) as info:
            await bounded(post_orders_json.asyncio(client=client, body=order_body()))
    # A connection that never opened cannot have delivered the POST: retried.
    assert len(clock.slept) == 2
    assert "ConnectError" in str(info.value)


@pytest.mark.integration
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_slow_server_times_out_typed(method: str) -> None:
    async with FaultServer(lambda seen, index: Late(3.0, product_answer())) as server:
        async with socket_client(server.base_url, timeout=0.2, max_retries=1) as client:
            call = (
                get_products_id_json.asyncio(5, client=client)
                if method == "GET"
                else post_orders_json.asyncio(client=client, body=order_body())
            )
            with pytest.raises(APITimeoutError):
                await bounded(call)
    # A GET is tried again; a POST that may have been processed is not.
    assert len(server.seen) == (2 if method == "GET" else 1)


@pytest.mark.integration
async def test_cancelling_half_of_50_calls_leaks_no_limiter_slot() -> None:
    release = asyncio.Event()

    async def script(seen: Seen, index: int) -> Answer:
        await release.wait()
        return product_answer()

    async with FaultServer(script) as server:
        # 50 in flight at once, and more limiter room than that so every call is admitted (limits
        # trusted, not probed: this server sends no rate-limit headers to confirm them).
        limiter = RateLimiter([(100, 1.0), (1000, 60.0)], explicit=True)
        client = socket_client(server.base_url, limiter=limiter, clock=limiter.clock)
        async with client:
            tasks = [
                asyncio.create_task(get_products_id_json.asyncio(i, client=client))
                for i in range(1, 51)
            ]
            while len(server.seen) < 50:
                await asyncio.sleep(0.01)
            assert client.limiter.backend.in_flight == 50  # type: ignore[attr-defined]
            for task in tasks[::2]:
                task.cancel()
            await asyncio.sleep(0.05)
            release.set()
            results = await bounded(asyncio.gather(*tasks, return_exceptions=True))
            cancelled = [r for r in results if isinstance(r, asyncio.CancelledError)]
            done = [r for r in results if not isinstance(r, BaseException)]
            assert (len(cancelled), len(done)) == (25, 25)
            # Every slot came back: nothing in flight, and the limiter still admits at once.
            assert client.limiter.backend.in_flight == 0  # type: ignore[attr-defined]
            again = await bounded(get_products_id_json.asyncio(7, client=client))
            assert again.product.id == 5
            assert client.limiter.backend.in_flight == 0  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- bad bodies


BAD_BODIES: dict[str, bytes] = {
    "html": b"<!DOCTYPE html><html><body><h1>We'll be back soon</h1></body></html>",
    "truncated": b'{"product": {"id": 5, "na',
    "nested": NESTED,
    "nested-object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "20MB": b"<html>" + b"x" * 20_000_000 + b"</html>",
    "not-utf8": b"\xff\xfe\x00garbage",
    "wrong-shape": b'["a", "list"]',
}


@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
async def test_bad_2xx_body_is_a_response_parse_error_with_the_body_kept(kind: str) -> None:
    content = BAD_BODIES[kind]
    async with mock_client(lambda r: httpx.Response(200, content=content)) as client:
        with pytest.raises(ResponseParseError) as info:
            await get_products_id_json.asyncio(5, client=client)
    error = info.value
    assert error.status_code == 200 and error.operation == "products.getProductsIdJson"
    assert error.content == content  # raw, nothing lost
    assert len(str(error)) < 1000  # the message quotes a snippet, not 20 MB


async def test_empty_2xx_body_parses_to_nothing_rather_than_failing() -> None:
    async with mock_client(lambda r: httpx.Response(200, content=b"")) as client:
        detailed = await get_products_id_json.asyncio_detailed(5, client=client)
    assert detailed.status_code == 200 and detailed.parsed is None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500, 503])
@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
async def test_bad_error_body_keeps_the_status_error(status: int, kind: str) -> None:
    content = BAD_BODIES[kind]
    expected = {
        400: BadRequestError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        422: BadRequestError,
        500: ServerError,
        503: ServerError,
    }[status]
    async with mock_client(
        lambda r: httpx.Response(status, content=content), max_retries=0
    ) as client:
        with pytest.raises(expected) as info:
            await get_products_id_json.asyncio(5, client=client)
    error = info.value
    assert error.status_code == status
    if kind == "wrong-shape":
        assert error.body == ["a", "list"]
    else:
        # Not JSON (or too deep to decode): kept as text, never dropped.
        assert isinstance(error.body, str) and len(error.body) >= len(content) // 2
    assert len(str(error)) < 1000


async def test_nested_body_from_every_json_reader() -> None:
    """2xx, error, count call, paginator and OAuth refresh: typed errors, never RecursionError."""
    from jumpseller_async import OAuth2

    def nested(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=NESTED)

    async with mock_client(nested) as client:
        # The count answer is only a speed-up: a broken one falls back to page-by-page reading,
        # whose own broken page is then a ResponseParseError.
        with pytest.raises(ResponseParseError):
            async for _ in client.paginate(get_products_json):
                pass

    def count_nested(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/count.json"):
            return httpx.Response(200, content=NESTED)
        return httpx.Response(200, json=[{"product": {"id": 1}}])

    async with mock_client(count_nested) as client:
        items = [item async for item in client.paginate(get_products_json)]
    assert [item.product.id for item in items] == [1]

    def refresh_nested(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400 if "oauth" in str(request.url) else 401, content=NESTED)

    auth = OAuth2(
        "access-token-nested-1",
        refresh_token="refresh-token-nested-1",
        client_id="cid",
        client_secret="client-secret-nested-1",
        expires_at=0.0,
    )
    async with JumpsellerClient(
        auth=auth, transport=httpx.MockTransport(refresh_nested), rate_limits=None
    ) as client:
        with pytest.raises(AuthenticationError):
            await get_products_id_json.asyncio(5, client=client)


@pytest.mark.integration
async def test_cli_prints_one_line_for_nested_answers_and_bodies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with FaultServer(lambda seen, index: Answer(body=NESTED)) as server:
        args = ["--base-url", server.base_url, "--login", LOGIN, "--authtoken", TOKEN]
        args += ["--max-retries", "0"]
        code = await asyncio.to_thread(
            cli_main, [*args, "call", "products.getProductsIdJson", "id=5"]
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and len(err) == 1 and "not the JSON" in err[0]
        body = "[" * 100_000 + "]" * 100_000
        code = await asyncio.to_thread(
            cli_main, [*args, "call", "products.putProductsIdJson", "id=5", "--body", body]
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and "not valid JSON" in err[0]
        code = await asyncio.to_thread(
            cli_main,
            [*args, "call", "products.getProductsIdJson", "id=5", "locale=" + "x" * 70_000],
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and "query parameter locale is 70,0" in err[0]
        code = await asyncio.to_thread(
            cli_main, [*args, "call", "products.getProductsIdJson", "id=" + "7" * 70_000]
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and "70,000 characters" in err[0] and len(err[0]) < 400
    assert len(server.seen) == 1  # only the first call was sent


# --------------------------------------------------------------------------- rate-limit headers


GARBAGE_BAN = [
    "garbage",
    "",
    "0000-00-00T00:00:00",
    "2024-13-45T99:99:99+00:00",
    "1" * 10_000,
    "\x00\x01",
    "1970-01-01T00:00:00+00:00",  # a ban that ended long ago
]


@pytest.mark.parametrize("value", GARBAGE_BAN, ids=range(len(GARBAGE_BAN)))
async def test_garbage_ban_header_is_ignored_and_429_retried(value: str) -> None:
    answers = iter(
        [
            httpx.Response(
                429,
                json={"message": "Rate Limit Exceeded"},
                headers={"Jumpseller-BannedByRateLimit-Reset": value},
            ),
            httpx.Response(200, json={"product": {"id": 5}}),
        ]
    )
    async with mock_client(lambda r: next(answers)) as client:
        product = await get_products_id_json.asyncio(5, client=client)
    assert product.product.id == 5


async def test_ban_far_in_the_future_raises_and_sends_nothing_more() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            429,
            json={"message": "Rate Limit Exceeded"},
            headers={"Jumpseller-BannedByRateLimit-Reset": "9999-12-31T23:59:59+00:00"},
        )

    clock = FakeClock()
    async with mock_client(handler, clock=clock) as client:
        for _ in range(2):
            with pytest.raises(RateLimitError) as info:
                await clock.run(get_products_id_json.asyncio(5, client=client))
            assert info.value.banned_until is not None
            assert info.value.banned_until.year == 9999
    assert len(sent) == 1


# --------------------------------------------------------------------------- secrets


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]


def _exposed_texts(error: BaseException) -> list[str]:
    texts = ["".join(traceback.format_exception(error))]
    for link in _chain(error):
        texts += [str(link), repr(link), repr(link.args)]
        for name in ("url", "body", "message", "content", "rate_limit_headers"):
            if hasattr(link, name):
                texts.append(repr(getattr(link, name)))
    return texts


def _log_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(record) for record in caplog.records]


def _leaks(texts: list[str]) -> list[str]:
    return [t[:300] for t in texts if any(form in t for form in SECRET_FORMS)]


def _echo(request: httpx.Request) -> str:
    """Everything a careless server could echo: the target, and the credential header."""
    return f"{request.url} {request.headers.get('authorization', '')}"


def _echo_json(status: int) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        echoed = _echo(request)
        body = {"message": f"Not found: {echoed}", "errors": {echoed: [echoed]}}
        return httpx.Response(status, json=body, headers={"Location": str(request.url)})

    return handler


def _echo_text(status: int, content_type: str = "text/html") -> Callable[..., httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        text = f"<html><body>{_echo(request)}</body></html>"
        return httpx.Response(status, text=text, headers={"Content-Type": content_type})

    return handler


def _raise(kind: type[httpx.TransportError]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise kind(f"failed talking to {request.url}", request=request)

    return handler


def _echo_2xx_string(request: httpx.Request) -> httpx.Response:
    # Valid JSON, wrong shape, and the echo is the first thing in the body.
    return httpx.Response(200, json=_echo(request))


def _echo_2xx_unicode_escaped(request: httpx.Request) -> httpx.Response:
    # The echo hidden behind JSON escapes: only a decoded body shows it.
    escaped = "".join(f"\\u{ord(c):04x}" for c in _echo(request))
    return httpx.Response(404, content=f'{{"message": "{escaped}"}}'.encode())


ERROR_PATHS: dict[str, tuple[Callable[[httpx.Request], httpx.Response], type[Exception]]] = {
    "404-json": (_echo_json(404), NotFoundError),
    "404-json-escaped": (_echo_2xx_unicode_escaped, NotFoundError),
    "401-json": (_echo_json(401), AuthenticationError),
    "403-json": (_echo_json(403), PermissionDeniedError),
    "422-json": (_echo_json(422), BadRequestError),
    "429-json": (_echo_json(429), RateLimitError),
    "500-html": (_echo_text(500), ServerError),
    "503-html": (_echo_text(503), ServerError),
    "404-text": (_echo_text(404, "text/plain"), NotFoundError),
    "200-html": (_echo_text(200), ResponseParseError),
    "200-string": (_echo_2xx_string, ResponseParseError),
    "connect-error": (_raise(httpx.ConnectError), APIConnectionError),
    "read-error": (_raise(httpx.ReadError), APIConnectionError),
    "read-timeout": (_raise(httpx.ReadTimeout), APITimeoutError),
    "protocol-error": (_raise(httpx.RemoteProtocolError), APIConnectionError),
}


@pytest.mark.parametrize("auth", ["basic", "query"])
@pytest.mark.parametrize("path", sorted(ERROR_PATHS))
async def test_no_error_path_leaks_the_token(
    path: str, auth: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx's, httpcore's
    handler, expected = ERROR_PATHS[path]
    sent: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return handler(request)

    async with mock_client(recording, auth=auth, max_retries=1) as client:
        with pytest.raises(expected) as info:
            await get_products_id_json.asyncio(5, client=client)
        detailed_repr = ""
        if isinstance(info.value, APIError):
            detailed_repr = repr(await get_products_id_json.asyncio_detailed(5, client=client))
    # The token really went out (and came back in the echo), so its absence below means something.
    assert any(form in _echo(sent[0]) for form in SECRET_FORMS)
    texts = [*_exposed_texts(info.value), detailed_repr, *_log_texts(caplog)]
    assert _leaks(texts) == []
    if not isinstance(info.value, APIConnectionError):
        assert "***" in "".join(texts)  # the echo was there, redacted


@pytest.mark.parametrize("auth", ["basic", "query"])
async def test_paginator_debug_line_hides_an_echoed_token(
    auth: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/count.json"):
            return _echo_json(404)(request)
        return httpx.Response(200, json=[{"product": {"id": 1}}])

    async with mock_client(handler, auth=auth) as client:
        items = [item async for item in client.paginate(get_products_json)]
    assert len(items) == 1
    logged = _log_texts(caplog)
    assert any("no total for products.getProductsJson" in line for line in logged)
    assert _leaks(logged) == []


@pytest.mark.parametrize("auth", ["basic", "query"])
async def test_ban_and_hostile_argument_errors_leak_nothing(
    auth: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            429,
            json={"message": f"banned {_echo(request)}"},
            headers={"Jumpseller-BannedByRateLimit-Reset": "9999-01-01T00:00:00+00:00"},
        )

    errors: list[BaseException] = []
    async with mock_client(handler, auth=auth) as client:
        for _ in range(2):  # the ban answer, then the refusal to send while banned
            with pytest.raises(RateLimitError) as info:
                await get_products_id_json.asyncio(5, client=client)
            errors.append(info.value)
        with pytest.raises(ConfigurationError) as config:
            await get_products_json.asyncio(client=client, locale=TOKEN * 3000)
        errors.append(config.value)
    texts = [text for error in errors for text in _exposed_texts(error)]
    assert _leaks([*texts, *_log_texts(caplog)]) == []


@pytest.mark.integration
@pytest.mark.parametrize("auth", ["basic", "query"])
async def test_socket_faults_leak_nothing(auth: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    def script(seen: Seen, index: int) -> Any:
        return [Reset(), Cut(sent=seen.target.encode()), Late(2.0)][index % 3]

    errors: list[BaseException] = []
    async with FaultServer(script) as server:
        async with socket_client(server.base_url, auth=auth, max_retries=0, timeout=0.2) as c:
            for _ in range(3):
                with pytest.raises(APIConnectionError) as info:
                    await bounded(get_products_id_json.asyncio(5, client=c))
                errors.append(info.value)
    assert any(TOKEN in seen.target or BASIC in str(seen.headers) for seen in server.seen)
    texts = [text for error in errors for text in _exposed_texts(error)]
    assert _leaks([*texts, *_log_texts(caplog)]) == []


def test_our_modules_log_only_through_redacting_loggers() -> None:
    """A logger made with logging.getLogger in a lazily imported module would miss the filter."""
    import pathlib

    package = pathlib.Path(jumpseller_async.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        relative = path.relative_to(package).as_posix()
        if relative.startswith("api/") or relative == "_redact.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "logging.getLogger(" in line and "uvicorn" not in line:
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "use jumpseller_async._redact.get_logger"


def test_every_logger_in_our_tree_redacts() -> None:
    import jumpseller_async._export
    import jumpseller_async._pagination
    import jumpseller_async.testing  # noqa: F401

    JumpsellerClient(LOGIN, TOKEN)
    logging.getLogger("jumpseller_async.someone.elses.child")
    JumpsellerClient(LOGIN, TOKEN)  # each client sweeps the tree again
    ours = [
        logger
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
        and (name == "jumpseller_async" or name.startswith("jumpseller_async."))
    ]
    assert len(ours) >= 2
    for logger in ours:
        assert any(type(f).__name__ == "SecretRedactingFilter" for f in logger.filters), logger


# --------------------------------------------------------------------------- hostile arguments


def _counting() -> tuple[list[httpx.Request], Callable[[httpx.Request], httpx.Response]]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"product": {"id": 5}})

    return sent, handler


HOSTILE_PATH_VALUES: list[tuple[Any, str]] = [
    (None, "path parameter id is required, got None"),
    (UNSET, "path parameter id is required, got UNSET"),
    ("7" * 70_000, "path parameter id is 70,000 characters"),
    ("a\ud800b", "path parameter id is not valid text"),
]


@pytest.mark.parametrize(
    ("value", "message"), HOSTILE_PATH_VALUES, ids=["none", "unset", "huge", "surrogate"]
)
async def test_hostile_path_value_is_refused_before_a_limiter_slot(
    value: Any, message: str
) -> None:
    sent, handler = _counting()
    async with mock_client(handler, rate_limits=[(8, 1.0)]) as client:
        admitted = client.limiter.stats.admitted
        with pytest.raises(ConfigurationError, match=message):
            await get_products_id_json.asyncio(value, client=client)
        assert client.limiter.stats.admitted == admitted
    assert sent == []


HOSTILE_QUERY_VALUES: list[tuple[Any, str]] = [
    ("x" * 70_000, "query parameter locale is 70,00"),
    ("a\ud800b", "query parameter locale cannot be sent"),
    ({"a": 1}, "query parameter locale cannot be sent"),
    (object(), "query parameter locale cannot be sent"),
]


@pytest.mark.parametrize(
    ("value", "message"), HOSTILE_QUERY_VALUES, ids=["huge", "surrogate", "dict", "object"]
)
async def test_hostile_query_value_is_refused_before_a_limiter_slot(
    value: Any, message: str
) -> None:
    sent, handler = _counting()
    async with mock_client(handler, rate_limits=[(8, 1.0)]) as client:
        with pytest.raises(ConfigurationError, match=message):
            await get_products_id_json.asyncio(5, client=client, locale=value)
        assert client.limiter.stats.admitted == 0
    assert sent == []


async def test_many_large_query_values_together_name_the_largest() -> None:
    sent, handler = _counting()
    async with mock_client(handler) as client:
        with pytest.raises(
            ConfigurationError, match=r"too long .*; the largest part is query parameter locale"
        ):
            await get_products_json.asyncio(client=client, locale="y" * 59_990, limit=50)
    assert sent == []


@pytest.mark.parametrize(
    "value",
    ["../..", ".", "..", "a/b", "?x=1#frag", "%2e%2e", " ", "\x00", "é/ü", "5.json?authtoken=x"],
)
async def test_hostile_path_values_stay_in_their_segment(value: str) -> None:
    sent, handler = _counting()
    async with mock_client(handler) as client:
        await get_products_id_json.asyncio(value, client=client)  # type: ignore[arg-type]
    raw = sent[0].url.raw_path.decode("ascii")
    path = raw.split("?")[0]
    assert path.startswith("/v1/products/") and path.endswith(".json")
    assert path.count("/") == 3  # one segment, whatever the value holds
    assert "?" not in raw or raw.index("?") > len(path) - 1


async def test_hostile_body_is_refused_before_a_limiter_slot() -> None:
    sent, handler = _counting()
    async with mock_client(handler, rate_limits=[(8, 1.0)]) as client:
        for bad in (float("nan"), float("inf"), "a\ud800b"):
            body = ProductEdit(product=ProductEditFields(name=bad))  # type: ignore[arg-type]
            with pytest.raises(ConfigurationError, match="the body cannot be sent as JSON"):
                await put_products_id_json.asyncio(5, client=client, body=body)
        assert client.limiter.stats.admitted == 0
    assert sent == []


# --------------------------------------------------------------------------- paging faults


def _same_page(count: int | None) -> tuple[list[int], Callable[[httpx.Request], httpx.Response]]:
    pages: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/count.json"):
            if count is None:
                return httpx.Response(404, json={"message": "no count"})
            return httpx.Response(200, json={"count": count})
        pages.append(int(request.url.params["page"]))
        limit = int(request.url.params["limit"])
        return httpx.Response(200, json=[{"product": {"id": i}} for i in range(1, limit + 1)])

    return pages, handler


@pytest.mark.parametrize(
    ("count", "kwargs"),
    [(None, {}), (None, {"use_count": False}), (10_000, {}), (None, {"known_total": 10_000})],
    ids=["no-count", "count-off", "count", "known-total"],
)
async def test_a_server_ignoring_page_stops_with_a_typed_error(
    count: int | None, kwargs: dict[str, Any]
) -> None:
    pages, handler = _same_page(count)
    seen: list[int] = []

    async def walk(client: JumpsellerClient) -> None:
        async for item in client.paginate(get_products_json, limit=10, **kwargs):
            seen.append(item.product.id)

    async with mock_client(handler) as client:
        with pytest.raises(PaginationError) as info:
            await bounded(walk(client))
    assert info.value.page == 2 and info.value.operation == "products.getProductsJson"
    assert seen == list(range(1, 11))  # the first page, once; no repeats handed out
    assert len(pages) <= 1 + 8  # at most one concurrent batch was asked for


async def test_paging_faults_mid_export_are_typed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/count.json"):
            return httpx.Response(200, content=b"<html>count is down</html>")
        page = int(request.url.params["page"])
        if page == 3:
            return httpx.Response(200, content=b'[{"product": {"id": 1')
        return httpx.Response(200, json=[{"product": {"id": page * 10 + i}} for i in range(10)])

    async with mock_client(handler) as client:
        seen: list[int] = []
        with pytest.raises(ResponseParseError):
            async for item in client.paginate(get_products_json, limit=10):
                seen.append(item.product.id)
    assert len(seen) == 20 and len(set(seen)) == 20


async def test_a_page_that_is_not_a_list_is_typed() -> None:
    async with mock_client(lambda r: httpx.Response(200, json={"products": []})) as client:
        with pytest.raises(JumpsellerError):
            async for _ in client.paginate(get_products_json, use_count=False):
                pass


# --------------------------------------------------------------------------- the fake, fed garbage


def _store_state(fake: FakeJumpseller) -> list[Any]:
    state = []
    for name, value in sorted(vars(fake.store).items()):
        if hasattr(value, "ids") and hasattr(value, "version"):
            records = getattr(value, "_records", {})
            state.append((name, value.version, list(value.ids), repr(sorted(records.items()))))
    return state


GARBAGE_BODIES: list[bytes] = [
    b"not json",
    b"{",
    b"[" * 100_000,
    NESTED,
    b'{"x": NaN}',
    b'{"product": {"price": Infinity}}',
    b'{"product": {"name": -Infinity}}',
    b'{"product": {"price": 1e999}}',
    b'{"product": {"name": "a\\ud800b"}}',
    b'{"a\\udfffb": {"name": "x"}}',
    b'"\\ud800"',
    b'{"x": ' + b"9" * 5000 + b"}",
    b"\xff\xfe\xfd",
    b"null",
    b"[]",
    b"123",
    b'{"product": []}',
    b'{"product": {"name": ["nested", {"deep": [1, 2, {"x": null}]}]}}',
]

GARBAGE_SEGMENTS = ["None", "-1", "0", "9" * 40, "abc", "%00", "..", "é", "1.5"]


async def test_garbage_into_every_route_of_the_fake() -> None:
    """Every route, garbage path values and bodies: an honest 4xx (or 2xx), valid JSON, and a
    refused write stores nothing."""
    fake = FakeJumpseller(limits=None, products=5, customers=5, orders=5, categories=3)
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake),
        base_url="http://fake/v1",
        auth=(fake.login, fake.authtoken),
    ) as http:
        for method, template in fake.routes:
            segments = GARBAGE_SEGMENTS if "{" in template else [""]
            for index, segment in enumerate(segments):
                path = template
                while "{" in path:
                    start, end = path.index("{"), path.index("}")
                    path = path[:start] + quote(segment, safe="") + path[end + 1 :]
                bodies = GARBAGE_BODIES if method in ("POST", "PUT") and index == 0 else [b""]
                for body in bodies:
                    before = _store_state(fake)
                    response = await http.request(
                        method, path, content=body, headers={"content-type": "application/json"}
                    )
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    assert response.status_code < 500, (method, path, body[:60], response.text)
                    if response.content:
                        json.loads(response.content)  # never NaN, never a lone surrogate
                    if body and method in ("POST", "PUT") and response.status_code == 400:
                        assert _store_state(fake) == before, (method, path, body[:60])
        # The lists still answer after all that.
        for path in ("/products.json", "/orders.json", "/customers.json"):
            assert (await http.get(path)).status_code == 200
    assert statuses.get(400, 0) > 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"product": {"name": "a\\ud800b"}}',
        b'{"product": {"name": NaN}}',
        b'{"product": {"name": "x", "price": Infinity}}',
    ],
)
@pytest.mark.integration
async def test_the_fake_refuses_unencodable_writes_and_stores_nothing(body: bytes) -> None:
    # Over a real socket: uvicorn turned the failed encoding into the 500 the issue saw.
    fake = FakeJumpseller(limits=None, products=3)
    async with (
        fake.run_in_background(port=0) as base_url,
        httpx.AsyncClient(base_url=base_url, auth=(fake.login, fake.authtoken)) as http,
    ):
        count = (await http.get("/products/count.json")).json()["count"]
        first = (await http.get("/products.json")).json()[0]["product"]["id"]
        for method, path in (("POST", "/products.json"), ("PUT", f"/products/{first}.json")):
            response = await http.request(
                method, path, content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 400, response.text
        assert (await http.get("/products/count.json")).json()["count"] == count
        listing = await http.get("/products.json")
        assert listing.status_code == 200 and len(listing.json()) == count


async def test_after_id_paging_keeps_null_items_and_refuses_items_without_ids() -> None:
    from jumpseller_async.api.products import get_products_after_id_json

    def handler(request: httpx.Request) -> httpx.Response:
        after = int(request.url.path.rsplit("/", 1)[1].removesuffix(".json"))
        if after == 0:
            return httpx.Response(200, json=[{"product": {"id": 1}}, None, {"product": {"id": 2}}])
        if after == 2:
            return httpx.Response(200, json=[None, None])  # nothing new: the end
        raise AssertionError(after)

    async with mock_client(handler) as client:
        items = [item async for item in client.paginate_after(get_products_after_id_json)]
    assert [None if i is None else i.product.id for i in items] == [1, None, 2]

    async with mock_client(lambda r: httpx.Response(200, json=[{"product": {"name": "x"}}])) as c:
        with pytest.raises(PaginationError, match="no integer id"):
            async for _ in c.paginate_after(get_products_after_id_json):
                pass


# --------------------------------------------------------------------------- the lead's caps


@pytest.mark.integration
async def test_a_trickling_server_cannot_stretch_an_attempt_past_its_timeout() -> None:
    # One byte every 0.1 s: each read is quick, so only a deadline on the whole attempt ends it.
    async with FaultServer(lambda seen, index: Trickle(interval=0.1)) as server:
        async with socket_client(server.base_url, timeout=0.5, max_retries=0) as client:
            with pytest.raises(APITimeoutError):
                await bounded(get_products_id_json.asyncio(5, client=client), 5.0)
    assert len(server.seen) == 1


HUGE_RETRY_AFTER = ["86400", "1e9", "inf", "1" * 5000, "Fri, 31 Dec 9999 23:59:59 GMT"]


@pytest.mark.parametrize("value", HUGE_RETRY_AFTER, ids=range(len(HUGE_RETRY_AFTER)))
async def test_huge_retry_after_is_a_typed_error_and_blocks_the_store_at_most_the_cap(
    value: str,
) -> None:
    answers = [
        httpx.Response(429, json={"message": "Rate Limit Exceeded"}, headers={"Retry-After": value})
    ]
    sent: list[float] = []
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        return answers.pop(0) if answers else httpx.Response(200, json={"product": {"id": 5}})

    async with mock_client(handler, clock=clock, rate_limits=[(8, 1.0)]) as client:
        with pytest.raises(RateLimitError) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
        assert info.value.retry_after is not None and info.value.retry_after > 60
        assert len(sent) == 1  # not slept through, not retried
        product = await clock.run(get_products_id_json.asyncio(5, client=client))
    assert product.product.id == 5
    assert sent[1] - sent[0] <= 60.0 + 1.0  # max_retry_after, not the server's wait


GARBAGE_RETRY_AFTER = ["soon", "", "-5", "nan", "Mon, 99 Foo 2024", "\x00"]


@pytest.mark.parametrize("value", GARBAGE_RETRY_AFTER, ids=range(len(GARBAGE_RETRY_AFTER)))
async def test_garbage_retry_after_is_ignored_and_the_call_retried(value: str) -> None:
    answers = iter(
        [
            httpx.Response(
                429, json={"message": "Rate Limit Exceeded"}, headers={"Retry-After": value}
            ),
            httpx.Response(200, json={"product": {"id": 5}}),
        ]
    )
    clock = FakeClock()
    async with mock_client(lambda r: next(answers), clock=clock) as client:
        product = await clock.run(get_products_id_json.asyncio(5, client=client))
    assert product.product.id == 5


async def test_absurd_advertised_limits_are_clamped() -> None:
    from jumpseller_async._ratelimit import MAX_ADVERTISED_LIMIT

    headers = {
        "Jumpseller-PerSecondRateLimit-Limit": "1000000000",
        "Jumpseller-PerSecondRateLimit-Remaining": "0",
        "Jumpseller-PerMinuteRateLimit-Limit": "9" * 400,
        "Jumpseller-PerMinuteRateLimit-Remaining": "-7",
    }
    clock = FakeClock()
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        return httpx.Response(200, json={"product": {"id": 5}}, headers=headers)

    async with mock_client(handler, clock=clock, rate_limits=_DEFAULT_LIMITS) as client:
        for _ in range(3):
            await clock.run(get_products_id_json.asyncio(5, client=client))
        assert all(n <= MAX_ADVERTISED_LIMIT for n, _ in client.limiter.limits)
    # "0 remaining" makes the next calls wait for the window, never for a billion entries.
    assert sent[-1] - sent[0] <= 2 * 60.0


async def test_a_parser_message_holding_the_token_is_not_chained() -> None:
    from jumpseller_async._operation import send

    def parse(response: httpx.Response) -> Any:
        raise ValueError(f"invalid literal for int(): {TOKEN!r}")

    async with mock_client(lambda r: httpx.Response(200, json={"id": TOKEN})) as client:
        with pytest.raises(ResponseParseError) as info:
            await send(
                client, get_products_id_json.OPERATION, {"method": "get", "url": "/p"}, parse
            )
    error = info.value
    assert error.__cause__ is None and error.__context__ is None
    assert "ValueError: invalid literal for int(): '***'" in str(error)
    assert _leaks(_exposed_texts(error)) == []
    assert error.content == b'{"id":"***"}'
