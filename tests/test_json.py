"""The response decoder gives exactly what json.loads gives, with or without orjson."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest

from jumpseller_async import AuthenticationError, JumpsellerClient, ResponseParseError, _json
from jumpseller_async._json import loads
from jumpseller_async.api.products import get_products_id_json, get_products_json
from tests._faultclients import NESTED, mock_client

BODIES = [
    b'{"a": 1, "b": [1.5, -0.0, "x", null, true]}',
    b"18446744073709551616",  # 2**64: orjson would make it a float
    b"-9223372036854775809",  # below the 64-bit range
    b"9223372036854775808",
    b'[{"id": 123456789012345678901234567890}]',
    b'{"price": 1.2345678901234567890123}',
    b'"\\ud800"',  # a lone surrogate: orjson refuses, json keeps it
    b'{"name": "caf\\u00e9 \\ud83d\\ude00"}',
    b"\xef\xbb\xbf[1]",  # a BOM
    b'{"a":1,"a":2}',
    b"[1e400]",
]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.fixture(params=["orjson", "json"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "orjson":
        pytest.importorskip("orjson")
    else:
        monkeypatch.setattr(_json, "orjson", None)
    return str(request.param)


@pytest.mark.parametrize("body", [*BODIES, b"NaN", b"[Infinity, -Infinity]"])
def test_decodes_exactly_as_json_loads(decoder: str, body: bytes) -> None:
    assert _same(loads(body), json.loads(body))
    assert _same(loads(body.decode("utf-8-sig")), json.loads(body.decode("utf-8-sig")))


def test_integers_past_64_bits_stay_integers(decoder: str) -> None:
    value = loads(b'{"big": 18446744073709551616, "neg": -9223372036854775809}')
    assert value == {"big": 2**64, "neg": -(2**63) - 1}
    assert all(type(v) is int for v in value.values())


@pytest.mark.parametrize("body", [b"", b"{", b"[1,]", b"\xff", b"nul"])
def test_what_is_not_json_raises_value_error(decoder: str, body: bytes) -> None:
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        loads(body)


def test_orjson_is_installed_for_the_dev_environment() -> None:
    # The dev extra pins orjson, so the suite exercises the fast path; the json path is
    # exercised above by hiding it.
    assert _json.HAVE_ORJSON


# --- nested past the decoder's stack, from every reader -------------------------------------------


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
