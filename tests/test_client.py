"""JumpsellerClient: its settings, a query token kept out of errors and reprs, the public root."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import jumpseller_async
from jumpseller_async import ConfigurationError, JumpsellerClient, NotFoundError, QueryAuth
from jumpseller_async.api.products import get_products_id_json
from jumpseller_async.models import ProductEdit, ProductEditFields
from jumpseller_async.testing import FakeClock
from tests._scripted import TOKEN, Script

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


def test_a_placeholder_token_does_not_mask_letters_in_every_later_message() -> None:
    from jumpseller_async._redact import redact_secrets

    JumpsellerClient("s", "t", rate_limits=None)  # a one-letter stand-in, as tests write
    assert redact_secrets("Not found") == "Not found"
    JumpsellerClient("s", TOKEN, rate_limits=None)
    assert redact_secrets(f"echo {TOKEN}") == "echo ***"
