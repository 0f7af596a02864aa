"""JumpsellerClient: retries, rate-limit answers, bans, typed errors, secrets, logging, public API."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import jumpseller_async
from jumpseller_async import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    JumpsellerClient,
    NotFoundError,
    PermissionDeniedError,
    QueryAuth,
    RateLimitError,
    ServerError,
    errors,
)
from jumpseller_async.api.orders import post_orders_json
from jumpseller_async.api.products import get_products_id_json, put_products_id_json
from jumpseller_async.models import OrderCreate, OrderCreateFields, ProductEdit, ProductEditFields
from jumpseller_async.testing import FakeClock

TOKEN = "secret-token-abcdef0123456789"


class Script:
    """A MockTransport handler that plays answers in order and records what was sent when."""

    def __init__(self, clock: FakeClock, *answers: httpx.Response | Exception) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.sent: list[tuple[float, httpx.Request]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((self.clock.monotonic(), request))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def ok_product() -> httpx.Response:
    return httpx.Response(200, json={"product": {"id": 5}})


def make(clock: FakeClock, script: Script, **kwargs: Any) -> JumpsellerClient:
    kwargs.setdefault("rate_limits", None)
    return JumpsellerClient(
        "store", TOKEN, transport=httpx.MockTransport(script), clock=clock, **kwargs
    )


def ban_header(seconds: float) -> dict[str, str]:
    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return {"Jumpseller-BannedByRateLimit-Reset": until.replace(microsecond=0).isoformat()}


# --- retries ---------------------------------------------------------------------------------


async def test_get_is_retried_on_503_with_backoff_then_succeeds() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(503), httpx.Response(502), ok_product())
    async with make(clock, script) as client:
        product = await clock.run(get_products_id_json.asyncio(5, client=client))
    assert product.product.id == 5
    times = [t for t, _ in script.sent]
    assert len(times) == 3
    assert 0.25 <= times[1] - times[0] <= 0.5 and 0.5 <= times[2] - times[1] <= 1.0


async def test_get_gives_up_after_max_retries_with_server_error() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(503, text="<html>down</html>"))
    async with make(clock, script, max_retries=2) as client:
        with pytest.raises(ServerError) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 3
    assert info.value.status_code == 503 and "products.getProductsIdJson" in str(info.value)


async def test_post_is_never_resent_after_a_503_or_a_read_error() -> None:
    clock = FakeClock()
    body = OrderCreate(order=OrderCreateFields(status="Paid"))
    for answer in (httpx.Response(503), httpx.ReadError("connection reset")):
        script = Script(clock, answer, httpx.Response(200, json={"order": {"id": 1}}))
        async with make(clock, script) as client:
            with pytest.raises((ServerError, APIConnectionError)):
                await clock.run(post_orders_json.asyncio(client=client, body=body))
        assert len(script.sent) == 1, answer


async def test_post_is_resent_when_the_connection_never_opened() -> None:
    clock = FakeClock()
    script = Script(
        clock, httpx.ConnectError("refused"), httpx.Response(201, json={"order": {"id": 1}})
    )
    async with make(clock, script) as client:
        order = await clock.run(post_orders_json.asyncio(client=client, body=OrderCreate()))
    assert order.order.id == 1 and len(script.sent) == 2


async def test_post_resend_is_opt_in() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(503), httpx.Response(200, json={"order": {"id": 1}}))
    async with make(clock, script, retry_post=True) as client:
        await clock.run(post_orders_json.asyncio(client=client, body=OrderCreate()))
    assert len(script.sent) == 2


async def test_timeouts_are_retried_for_get_then_wrapped() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.ReadTimeout("slow"))
    async with make(clock, script, max_retries=1) as client:
        with pytest.raises(APITimeoutError) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 2
    assert isinstance(info.value, APIConnectionError) and info.value.method == "GET"


# --- rate-limit answers and bans --------------------------------------------------------------


async def test_429_is_retried_for_post_honouring_retry_after() -> None:
    clock = FakeClock()
    script = Script(
        clock,
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(200, json={"order": {"id": 1}}),
    )
    async with make(clock, script) as client:
        await clock.run(post_orders_json.asyncio(client=client, body=OrderCreate()))
    (t0, _), (t1, _) = script.sent
    assert t1 - t0 >= 2.0


async def test_403_rate_limit_exceeded_is_retried_but_403_permission_is_not() -> None:
    clock = FakeClock()
    script = Script(
        clock, httpx.Response(403, json={"message": "Rate Limit Exceeded"}), ok_product()
    )
    async with make(clock, script) as client:
        await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 2

    script = Script(
        clock, httpx.Response(403, json={"message": "Forbidden: missing scope read_products"})
    )
    async with make(clock, script) as client:
        with pytest.raises(PermissionDeniedError, match="missing scope"):
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 1


async def test_rate_limit_exhausted_raises_rate_limit_error() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(429, headers={"Retry-After": "1"}))
    async with make(clock, script, max_retries=2) as client:
        with pytest.raises(RateLimitError):
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 3


async def test_short_ban_pauses_every_request_until_the_reset() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(429, headers=ban_header(30)), ok_product())
    async with make(clock, script, max_ban_wait=60) as client:
        await clock.run(get_products_id_json.asyncio(5, client=client))
        (t0, _), (t1, _) = script.sent
        assert 28 <= t1 - t0 <= 31


async def test_long_ban_raises_with_reset_time_and_sends_nothing_more() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(429, headers=ban_header(3600)))
    async with make(clock, script, max_ban_wait=60) as client:
        with pytest.raises(RateLimitError) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
        assert info.value.banned_until is not None
        assert info.value.banned_until > dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=50)
        sent = len(script.sent)
        with pytest.raises(RateLimitError, match="nothing was sent"):
            await clock.run(put_products_id_json.asyncio(5, client=client, body=ProductEdit()))
        assert len(script.sent) == sent == 1


# --- typed errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (422, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (500, ServerError),
        (520, ServerError),
        (499, errors.APIError),
    ],
)
async def test_statuses_map_to_typed_errors(status: int, error_class: type[Exception]) -> None:
    clock = FakeClock()
    headers = {"Jumpseller-PerSecondRateLimit-Remaining": "7"}
    script = Script(clock, httpx.Response(status, json={"message": "nope"}, headers=headers))
    async with make(clock, script, max_retries=0) as client:
        with pytest.raises(error_class) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
        detailed = await clock.run(get_products_id_json.asyncio_detailed(5, client=client))
    error = info.value
    assert type(error) is error_class
    assert error.status_code == status and error.method == "GET"
    assert error.body == {"message": "nope"}
    assert error.rate_limit_headers == {"Jumpseller-PerSecondRateLimit-Remaining": "7"}
    assert detailed.status_code == status


def test_errors_docstring_draws_every_class_and_each_has_one_line() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert name in doc, name
        assert cls.__doc__ and len(cls.__doc__.strip().splitlines()) == 1, name


# --- secrets ---------------------------------------------------------------------------------


async def test_query_token_never_in_errors_reprs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    script = Script(clock, httpx.Response(404, json={"message": "Not found"}))
    client = JumpsellerClient(
        auth=QueryAuth("store", TOKEN),
        transport=httpx.MockTransport(script),
        clock=clock,
        rate_limits=None,
    )
    async with client:
        with pytest.raises(NotFoundError) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert TOKEN in str(script.sent[0][1].url)  # it was really sent...
    texts = [str(info.value), repr(info.value), info.value.url, repr(client), repr(client._auth)]
    texts += [record.getMessage() for record in caplog.records]
    assert not [t for t in texts if TOKEN in t]  # ...and appears nowhere else
    assert "authtoken=***" in info.value.url


async def test_logs_method_redacted_url_status_duration(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="jumpseller_async")
    clock = FakeClock()
    script = Script(clock, httpx.Response(503), ok_product())
    async with make(clock, script) as client:
        await clock.run(get_products_id_json.asyncio(5, client=client))
    messages = [r.getMessage() for r in caplog.records if r.name == "jumpseller_async"]
    assert any(
        "GET https://api.jumpseller.com/v1/products/5.json -> 200 in" in m and "attempt 2" in m
        for m in messages
    )
    assert any("HTTP 503; retrying" in m for m in messages)


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": None}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"base_url": "ftp://x"}, "base_url"),
        ({"rate_limits": [(0, 1.0)]}, "0"),
    ],
)
def test_bad_settings_name_the_problem(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        JumpsellerClient("store", TOKEN, **kwargs)


def test_missing_credentials_are_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="authtoken"):
        JumpsellerClient("store")


async def test_default_timeout_is_finite() -> None:
    async with JumpsellerClient("store", TOKEN) as client:
        assert client.http.timeout.read is not None and client.http.timeout.connect is not None


def test_public_root_is_small_sorted_and_exact() -> None:
    assert jumpseller_async.__all__ == sorted(
        jumpseller_async.__all__, key=lambda n: (not n.isupper(), n)
    )
    public = {n for n in dir(jumpseller_async) if not n.startswith("_") or n == "__version__"}
    public -= {"api", "errors", "models", "testing", "webhooks", "oauth", "fastapi"}  # submodules
    assert public == set(jumpseller_async.__all__)


async def test_namespaces_are_bound_and_typed() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"product": {"id": 7, "name": "x"}})

    async with JumpsellerClient(
        "s", TOKEN, transport=httpx.MockTransport(handler), rate_limits=None
    ) as client:
        product = await client.products.put_products_id_json(
            7, body=ProductEdit(product=ProductEditFields(price=9.5))
        )
    assert product.product.id == 7
    assert json.loads(seen[0].content) == {"product": {"price": 9.5}}


ClientFactory = Callable[..., JumpsellerClient]


async def test_an_empty_2xx_answer_parses_as_none() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(204))
    async with make(clock, script) as client:
        detailed = await clock.run(get_products_id_json.asyncio_detailed(5, client=client))
    assert detailed.status_code == 204 and detailed.parsed is None


async def test_undecodable_answer_is_wrapped_not_retried() -> None:
    clock = FakeClock()
    broken_gzip = httpx.Response(
        200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
    )
    script = Script(clock, broken_gzip)
    async with make(clock, script) as client:
        with pytest.raises(APIConnectionError, match="DecodingError"):
            await clock.run(get_products_id_json.asyncio(5, client=client))
    assert len(script.sent) == 1


def test_a_placeholder_token_does_not_mask_letters_in_every_later_message() -> None:
    from jumpseller_async._redact import redact_secrets

    JumpsellerClient("s", "t", rate_limits=None)  # a one-letter stand-in, as tests write
    assert redact_secrets("Not found") == "Not found"
    JumpsellerClient("s", TOKEN, rate_limits=None)
    assert redact_secrets(f"echo {TOKEN}") == "echo ***"
