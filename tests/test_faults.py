"""The leak suite: whatever a hostile server echoes or a hostile caller passes, no secret shows.

Every error path (statuses, bad bodies, bans, hostile arguments, socket faults, parser messages)
is checked for every form of the token in the error, its chain and every log line; socket faults
run against real local servers (``tests/_faultservers.py``). The rest of the fault suite lives with
the module it tests: retries and connection faults in ``test_retry.py``; deadlines, bans and
limiter slots in ``test_send.py``; bad bodies and hostile arguments in ``test_operations.py``;
paging faults in ``test_pagination.py``; nested JSON in ``test_json.py``; garbage fed to the fake
in ``test_fake_jumpseller.py``. Helpers: ``tests/_faultclients.py``.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import jumpseller_async
from jumpseller_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    JumpsellerClient,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
    ServerError,
)
from jumpseller_async.api.products import get_products_id_json, get_products_json
from jumpseller_async.testing import FakeClock
from tests._faultclients import (
    _DEFAULT_LIMITS,
    BASIC,
    LOGIN,
    SECRET_FORMS,
    TOKEN,
    bounded,
    mock_client,
    socket_client,
)
from tests._faultservers import Cut, FaultServer, Late, Reset, Seen

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


# --------------------------------------------------------------------------- the lead's caps


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
