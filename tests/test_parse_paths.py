"""The parse-speed paths keep their semantics: subclasses still go through ``__init__``, and the
garbage collector is held off only while a page parses (its state is restored however it ends)."""

from __future__ import annotations

import gc
from typing import Any

import httpx
import pytest

from jumpseller_async import JumpsellerClient
from jumpseller_async.api._models.variant_fields import VariantFields
from jumpseller_async.api.products import get_products_json
from jumpseller_async.errors import ResponseParseError

VARIANT = {
    "id": 7,
    "price": 1.5,
    "sku": "S",
    "options": [{"name": "Color", "option_type": "option", "value": "Black"}],
    "image": {"id": 1, "position": 0, "url": "u"},
    "zz_unknown_field": [1],
}


class _Sub(VariantFields):
    """A user's subclass with its own __init__ (a plain subclass of a slotted class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.built_by_init = True


def test_a_subclass_is_built_through_its_init_with_the_same_fields() -> None:
    base = VariantFields.from_dict(VARIANT)
    sub = _Sub.from_dict(VARIANT)
    assert type(sub) is _Sub and sub.built_by_init
    assert sub.to_dict() == base.to_dict() == VARIANT
    assert sub.additional_properties == base.additional_properties == {"zz_unknown_field": [1]}


def test_the_class_itself_gets_its_own_additional_properties_dict() -> None:
    first, second = VariantFields.from_dict({"id": 1}), VariantFields.from_dict({"id": 2})
    assert first.additional_properties == {} and first.additional_properties is not (
        second.additional_properties
    )
    first["extra"] = 1
    assert second.additional_properties == {}


def _client(body: bytes) -> JumpsellerClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    return JumpsellerClient(
        "parse-paths-store",
        "parse-paths-token-5d1c9",
        transport=httpx.MockTransport(handler),
        rate_limits=None,
    )


@pytest.fixture
def gc_restored() -> Any:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


async def test_the_collector_runs_again_after_a_page(gc_restored: None) -> None:
    gc.enable()
    seen: list[bool] = []
    original = get_products_json._parse_response

    def spy(response: httpx.Response) -> Any:
        seen.append(gc.isenabled())
        return original(response)

    async with _client(b'[{"product": {"id": 1}}]') as client:
        get_products_json._parse_response = spy  # type: ignore[assignment]
        try:
            page = await get_products_json.asyncio(client=client)
        finally:
            get_products_json._parse_response = original  # type: ignore[assignment]
    assert seen == [False]  # held off while the page parsed
    assert gc.isenabled()
    assert page[0] is not None and page[0].to_dict() == {"product": {"id": 1}}


async def test_the_collector_runs_again_after_a_body_that_fails_to_parse(
    gc_restored: None,
) -> None:
    gc.enable()
    async with _client(b'{"not": "a list"}') as client:
        with pytest.raises(ResponseParseError):
            await get_products_json.asyncio(client=client)
    assert gc.isenabled()


async def test_a_collector_the_application_disabled_stays_disabled(gc_restored: None) -> None:
    gc.disable()
    async with _client(b'[{"product": {"id": 1}}]') as client:
        await get_products_json.asyncio(client=client)
    assert not gc.isenabled()


async def test_prefetched_pages_are_parsed_in_the_order_they_are_consumed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        items = [{"product": {"id": page * 1000 + i}} for i in range(2)] if page <= 4 else []
        return httpx.Response(200, json=items)

    parsed: list[int] = []
    original = get_products_json._parse_response

    def spy(response: httpx.Response) -> Any:
        if response.json():
            parsed.append(response.json()[0]["product"]["id"] // 1000)
        return original(response)

    client = JumpsellerClient(
        "parse-paths-store",
        "parse-paths-token-5d1c9",
        transport=httpx.MockTransport(handler),
        rate_limits=None,
    )
    seen: list[tuple[int, list[int]]] = []
    get_products_json._parse_response = spy  # type: ignore[assignment]
    try:
        async with client:
            paginator = client.paginate(get_products_json, limit=2, known_total=8, concurrency=3)
            async for batch in paginator.pages():
                assert batch[0] is not None and batch[0].product is not None
                seen.append((batch[0].product.id // 1000, list(parsed)))  # type: ignore[operator]
            # Pages 2 and 3 were requested with page 1 (3 in flight) but parsed only when asked for.
            assert paginator.requests == 5  # 4 counted pages, then the empty 5th
    finally:
        get_products_json._parse_response = original  # type: ignore[assignment]
    assert seen == [(1, [1]), (2, [1, 2]), (3, [1, 2, 3]), (4, [1, 2, 3, 4])]
