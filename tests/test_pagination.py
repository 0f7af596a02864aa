"""client.paginate and client.paginate_after over a mocked store."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from jumpseller_async import (
    ConfigurationError,
    Exporter,
    JumpsellerClient,
    JumpsellerError,
    PaginationError,
    ResponseParseError,
)
from jumpseller_async.api.orders import get_orders_after_id_json, get_orders_json
from jumpseller_async.api.products import get_products_id_json, get_products_json
from tests._faultclients import bounded, mock_client

PAGE = re.compile(r"/v1/(products|orders)\.json")


class Store:
    """A list endpoint over ``ids`` plus its count; records pages asked and peak concurrency."""

    def __init__(self, ids: list[int], *, count: int | None = None, latency: float = 0.0) -> None:
        self.ids = ids
        self.count = count
        self.latency = latency
        self.pages: list[int] = []
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/count.json"):
            if self.count is None:
                return httpx.Response(404, json={"message": "no count"})
            return httpx.Response(200, json={"count": self.count})
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
        finally:
            self.in_flight -= 1
        if "/after/" in path:
            after = int(path.rsplit("/", 1)[1].removesuffix(".json"))
            chosen = sorted(i for i in self.ids if i > after)[:50]
            return httpx.Response(200, json=[{"order": {"id": i}} for i in chosen])
        page = int(request.url.params.get("page", "1"))
        limit = int(request.url.params.get("limit", "50"))
        self.pages.append(page)
        chosen = self.ids[(page - 1) * limit : page * limit]
        return httpx.Response(200, json=[{"product": {"id": i}} for i in chosen])


def client_for(store: Store) -> JumpsellerClient:
    return JumpsellerClient(
        "s", "token-xyz", transport=httpx.MockTransport(store), rate_limits=None
    )


async def ids_of(client: JumpsellerClient, **kwargs: object) -> list[int]:
    return [item.product.id async for item in client.paginate(get_products_json, **kwargs)]


@pytest.mark.parametrize(
    ("total", "pages_asked"),
    [
        (0, [1]),  # empty first page
        (250, [1, 2, 3]),  # short last page
        (300, [1, 2, 3, 4]),  # exactly full last page, then an empty one
    ],
)
async def test_sequential_pages_stop_right(total: int, pages_asked: list[int]) -> None:
    store = Store(list(range(1, total + 1)))
    async with client_for(store) as client:
        assert await ids_of(client) == list(range(1, total + 1))
    assert store.pages == pages_asked


async def test_known_total_fetches_pages_concurrently_in_order() -> None:
    store = Store(list(range(1, 1001)), count=1000, latency=0.01)
    async with client_for(store) as client:
        got = await ids_of(client, concurrency=4)
    assert got == list(range(1, 1001))
    # 10 full pages in parallel, then one check that the store did not grow since the count.
    assert sorted(store.pages) == list(range(1, 12))
    assert store.peak == 4


async def test_store_grown_since_the_count_is_still_read_to_the_end() -> None:
    store = Store(list(range(1, 351)), count=300)
    async with client_for(store) as client:
        assert await ids_of(client) == list(range(1, 351))


async def test_pages_yields_whole_pages_and_accepts_the_asyncio_function() -> None:
    store = Store(list(range(1, 151)))
    async with client_for(store) as client:
        pages = [
            page async for page in client.paginate(get_products_json.asyncio, limit=100).pages()
        ]
    assert [len(p) for p in pages] == [100, 50]


async def test_filters_pass_through_and_limit_is_validated() -> None:
    store = Store([1])
    async with client_for(store) as client:
        with pytest.raises(ConfigurationError, match="limit must be an integer from 1 to 100"):
            client.paginate(get_products_json, limit=101)
        with pytest.raises(ConfigurationError, match="sets 'page' itself"):
            client.paginate(get_products_json, page=2)
        with pytest.raises(ConfigurationError, match="does not take page/limit"):
            client.paginate(get_products_id_json)
        with pytest.raises(ConfigurationError, match="not a jumpseller_async operation"):
            client.paginate(print)
        assert [i.product.id async for i in client.paginate(get_products_json, locale="es")] == [1]


async def test_after_id_walk_is_exact_while_the_store_changes() -> None:
    store = Store(list(range(1, 121)))
    seen: list[int] = []
    async with client_for(store) as client:
        async for order in client.paginate_after(get_orders_after_id_json):
            seen.append(order.order.id)
            if order.order.id == 30:
                store.ids.remove(10)  # deleted behind us: nothing shifts
                store.ids.remove(70)  # deleted ahead of us: simply absent
                store.ids.append(500)  # added ahead of us: exported once
    assert seen == [i for i in range(1, 121) if i != 70] + [500]


async def test_page_numbers_would_skip_on_the_same_change() -> None:
    """Why paginate_after exists: the same deletion makes page numbers skip an item."""
    store = Store(list(range(1, 201)))
    seen: list[int] = []
    async with client_for(store) as client:
        async for product in client.paginate(get_products_json, use_count=False):
            seen.append(product.product.id)
            if product.product.id == 100:
                store.ids.remove(50)
    assert 101 not in seen  # shifted onto page 1 after it was read


async def test_after_iterator_only_takes_after_operations() -> None:
    async with client_for(Store([])) as client:
        with pytest.raises(ConfigurationError, match="not an …/after"):
            client.paginate_after(get_orders_json)


async def test_page_mode_export_fetches_pages_concurrently_and_in_order(tmp_path: Path) -> None:
    store = Store(list(range(1, 701)), count=700, latency=0.01)
    async with client_for(store) as client:
        result = await Exporter(client, "customers", tmp_path / "c.jsonl", concurrency=4).run()
    assert result.items == 700
    assert store.peak == 4
    lines = (tmp_path / "c.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == list(range(1, 701))


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


# --- after-id paging: null items and items without ids --------------------------------------------


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


@pytest.mark.parametrize("count", [None, 300], ids=["page by page", "concurrent"])
async def test_a_consumed_page_is_let_go_before_the_next_is_fetched(count: int | None) -> None:
    # Two pages of models alive at once would double the memory of an export and make each new
    # page's parse slower; the consumer keeps only its current item.
    import weakref

    store = Store(list(range(1, 301)), count=count)
    seen: list[weakref.ref[Any]] = []
    alive_when_asked: dict[int, int] = {}
    handler = store.__call__

    async def watching(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "0"))
        await asyncio.sleep(0)  # a request waits for the network before anything comes back
        if page:
            alive_when_asked[page] = sum(ref() is not None for ref in seen)
        return await handler(request)

    async with JumpsellerClient(
        "s", "token-xyz", transport=httpx.MockTransport(watching), rate_limits=None
    ) as client:
        async for item in client.paginate(get_products_json, limit=100, concurrency=1):
            seen.append(weakref.ref(item))
    assert len(seen) == 300
    # While page n + 1 is on its way, at most the consumer's current item of page n is alive.
    assert {page: alive for page, alive in alive_when_asked.items() if page > 1} == {
        2: 1,
        3: 1,
        4: 1,
    }


def test_ids_are_found_on_items_of_every_shape() -> None:
    from types import SimpleNamespace

    from jumpseller_async._pagination import _wrapped_id_or_none
    from jumpseller_async.models import Product, ProductFields

    class Slotted:
        __slots__ = ("id",)

        def __init__(self) -> None:
            self.id = 3

    class Computed:
        __slots__ = ()

        def __getattr__(self, name: str) -> int:
            return 4

    assert _wrapped_id_or_none(Product(product=ProductFields(id=1))) == 1
    assert _wrapped_id_or_none(Product(product=None)) is None
    assert _wrapped_id_or_none(SimpleNamespace(id=2)) == 2
    assert _wrapped_id_or_none(Slotted()) == 3
    assert _wrapped_id_or_none(Computed()) == 4
    assert _wrapped_id_or_none({"id": 5}) is None  # a dict's keys are not attributes


async def test_after_id_pages_are_let_go_before_the_next_is_fetched() -> None:
    import weakref

    store = Store(list(range(1, 201)))
    seen: list[weakref.ref[Any]] = []
    alive_when_asked: list[int] = []
    handler = store.__call__

    async def watching(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # a request waits for the network before anything comes back
        alive_when_asked.append(sum(ref() is not None for ref in seen))
        return await handler(request)

    async with JumpsellerClient(
        "s", "token-xyz", transport=httpx.MockTransport(watching), rate_limits=None
    ) as client:
        async for page in client.paginate_after(get_orders_after_id_json).pages():
            seen.extend(weakref.ref(item) for item in page)
            del page
    assert len(seen) == 200
    # 4 pages of 50, then the empty answer: nothing of an earlier page is alive meanwhile.
    assert alive_when_asked == [0, 0, 0, 0, 0]
