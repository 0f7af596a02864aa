"""asyncio() returns what its type says: an empty 2xx is an error, except where None is typed."""

from __future__ import annotations

import httpx
import pytest

from jumpseller_async import JumpsellerClient, ResponseParseError
from jumpseller_async.api.apps import delete_jsapps_code_json
from jumpseller_async.api.products import delete_products_id_json, get_products_id_json
from jumpseller_async.testing import FakeClock
from tests._faultclients import mock_client
from tests._scripted import Script, make


def _client(status: int, content: bytes = b"") -> JumpsellerClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=content))
    return JumpsellerClient(
        "empty-store", "empty-token-0000000000000000000000", transport=transport, rate_limits=None
    )


@pytest.mark.parametrize("status", [200, 204])
async def test_an_empty_answer_to_a_typed_operation_is_a_typed_error(status: int) -> None:
    async with _client(status) as client:
        with pytest.raises(ResponseParseError) as caught:
            await get_products_id_json.asyncio(5, client=client)
        assert caught.value.status_code == status
        assert caught.value.operation == "products.getProductsIdJson"
        assert "empty body" in str(caught.value) and "empty-token" not in str(caught.value)
        # The detailed call still hands the empty answer back as it came.
        detailed = await get_products_id_json.asyncio_detailed(5, client=client)
        assert detailed.status_code == status and detailed.parsed is None


async def test_deletions_may_answer_nothing() -> None:
    async with _client(204) as client:
        assert (
            await delete_jsapps_code_json.asyncio("x", client=client) is None
        )  # MessageObject | None
        assert await delete_products_id_json.asyncio(5, client=client) is None  # Any


async def test_a_typed_answer_still_parses() -> None:
    async with _client(200, b'{"product": {"id": 5}}') as client:
        product = await client.products.get_products_id_json(5)
    assert product.product is not None and product.product.id == 5  # type: ignore[union-attr]


async def test_an_empty_2xx_answer_parses_as_none() -> None:
    clock = FakeClock()
    script = Script(clock, httpx.Response(204))
    async with make(clock, script) as client:
        detailed = await clock.run(get_products_id_json.asyncio_detailed(5, client=client))
    assert detailed.status_code == 204 and detailed.parsed is None


async def test_empty_2xx_body_parses_to_nothing_rather_than_failing() -> None:
    async with mock_client(lambda r: httpx.Response(200, content=b"")) as client:
        detailed = await get_products_id_json.asyncio_detailed(5, client=client)
    assert detailed.status_code == 200 and detailed.parsed is None
