"""The static operation index (api/_index.py) says what the modules themselves say; lazy loading."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import jumpseller_async
from jumpseller_async import JumpsellerClient
from jumpseller_async._export import RESOURCES, ResourceSpec
from jumpseller_async._registry import index, info
from jumpseller_async.api import TAGS

ROOT = Path(__file__).resolve().parent.parent


def test_every_index_entry_matches_its_module() -> None:
    entries = index()
    from jumpseller_async.api._sources import SOURCES

    assert len(entries) == len(SOURCES) == 183
    by_route = {(e.method, e.path): tool for tool, e in entries.items()}
    for tool, entry in entries.items():
        module = entry.load()
        op = module.OPERATION
        assert (op.tool, op.method, op.path, op.summary) == (
            tool,
            entry.method,
            entry.path,
            entry.summary,
        )
        signature = inspect.signature(module.asyncio)
        params = {n: p for n, p in signature.parameters.items() if n not in ("client", "body")}
        assert [p.name for p in entry.params] == list(params), tool
        for p in entry.params:
            assert p.annotation == params[p.name].annotation, (tool, p.name)
            assert p.required == (params[p.name].default is inspect.Parameter.empty)
        body = signature.parameters.get("body")
        assert entry.body == (body.annotation if body is not None else None), tool
        assert entry.returns == signature.return_annotation, tool
        assert entry.paginated == ("page" in params and "limit" in params and op.method == "GET")
        stem = op.path.removesuffix(".json")
        get = op.method == "GET"
        assert entry.count_tool == (by_route.get(("GET", stem + "/count.json")) if get else None)
        assert entry.after_tool == (
            by_route.get(("GET", stem + "/after/{id}.json")) if get else None
        )
        if entry.item is not None:
            assert entry.returns.startswith("list[") and entry.item in entry.returns


def test_known_companions() -> None:
    products = info("products.getProductsJson")
    assert products.paginated and products.item == "Product"
    assert products.count_tool == "products.getProductsCountJson"
    assert products.after_tool == "products.getProductsAfterIdJson"
    assert info("orders.getOrdersJson").after_tool == "orders.getOrdersAfterIdJson"
    with pytest.raises(KeyError, match="did you mean"):
        info("products.getProduct")


def test_export_resources_come_from_the_index_unchanged() -> None:
    # The table _export.py held before the index replaced it.
    assert {
        "products": ResourceSpec("products.getProductsJson", "products.getProductsAfterIdJson"),
        "orders": ResourceSpec("orders.getOrdersJson", "orders.getOrdersAfterIdJson"),
        "customers": ResourceSpec("customers.getCustomersJson"),
        "categories": ResourceSpec("categories.getCategoriesJson"),
        "checkout_custom_fields": ResourceSpec("checkoutCustomFields.getCheckoutCustomFieldsJson"),
        "countries": ResourceSpec("countries.getCountriesJson"),
        "custom_fields": ResourceSpec("customFields.getCustomFieldsJson"),
        "customer_categories": ResourceSpec("customerCategories.getCustomerCategoriesJson"),
        "fulfillments": ResourceSpec("fulfillments.getFulfillmentsJson"),
        "hooks": ResourceSpec("hooks.getHooksJson"),
        "jsapps": ResourceSpec("apps.getJsappsJson"),
        "pages": ResourceSpec("pages.getPagesJson"),
        "payment_methods": ResourceSpec("paymentMethods.getPaymentMethodsJson"),
        "promotions": ResourceSpec("promotions.getPromotionsJson"),
        "shipping_methods": ResourceSpec("shippingMethods.getShippingMethodsJson"),
        "taxes": ResourceSpec("taxes.getTaxesJson"),
    } == RESOURCES


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return set(out.stdout.split())


def test_import_loads_no_operation_and_no_model() -> None:
    loaded = _modules_after("import jumpseller_async")
    assert not {m for m in loaded if m.startswith("jumpseller_async.api.")} - {
        "jumpseller_async.api._namespaces",
        "jumpseller_async.api._types",
    }
    assert "jumpseller_async._export" not in loaded and "jumpseller_async._pagination" not in loaded


def test_a_call_loads_only_its_operation_and_models() -> None:
    loaded = _modules_after(
        "import asyncio, httpx, jumpseller_async\n"
        "async def main():\n"
        "    t = httpx.MockTransport(lambda r: httpx.Response(200, json={'count': 3}))\n"
        "    async with jumpseller_async.JumpsellerClient('s', 't', transport=t) as c:\n"
        "        assert (await c.products.get_products_count_json()).count == 3\n"
        "asyncio.run(main())"
    )
    ops = {
        m
        for m in loaded
        if m.startswith("jumpseller_async.api.") and m.count(".") == 3 and "._models." not in m
    }
    assert ops == {"jumpseller_async.api.products.get_products_count_json"}
    models = {m for m in loaded if m.startswith("jumpseller_async.api._models.")}
    assert models and len(models) < 10


async def test_the_client_composes_the_namespaces() -> None:
    from jumpseller_async.api._namespaces import Namespaces

    assert not issubclass(JumpsellerClient, Namespaces)
    async with JumpsellerClient("index-store", "index-token-0000000000000000000000") as client:
        for tag in TAGS:
            namespace = getattr(client, tag)
            assert getattr(client, tag) is namespace  # one per client
            assert type(namespace).__name__.endswith("Namespace")
        assert set(TAGS) <= set(dir(client))
        with pytest.raises(AttributeError, match="no attribute 'prodcts'"):
            client.prodcts  # noqa: B018
        with pytest.raises(AttributeError):
            client._nothing  # noqa: B018


def test_models_load_lazily_and_are_all_there() -> None:
    from jumpseller_async import models

    for name in models.__all__:
        assert getattr(models, name).__name__ == name
    with pytest.raises(AttributeError):
        models.NoSuchModel  # noqa: B018
    assert jumpseller_async.Paginator.__name__ == "Paginator"


def test_paginators_are_typed_for_mypy(tmp_path: Path) -> None:
    mypy_api = pytest.importorskip("mypy.api")
    source = tmp_path / "typed_pages.py"
    source.write_text(
        textwrap.dedent(
            """
            from typing import assert_type

            from jumpseller_async import JumpsellerClient
            from jumpseller_async.api.orders import get_orders_after_id_json, get_orders_json
            from jumpseller_async.api.products import get_products_json
            from jumpseller_async.models import Order, Product


            async def main(client: JumpsellerClient) -> None:
                async for product in client.paginate(get_products_json):
                    assert_type(product, Product | None)
                async for order in client.paginate(get_orders_json.asyncio):
                    assert_type(order, Order | None)
                async for page in client.paginate(get_orders_json).pages():
                    assert_type(page, list[Order | None])
                async for after in client.paginate_after(get_orders_after_id_json):
                    assert_type(after, Order | None)
                async for wrong in client.paginate(get_products_json):
                    text: str = wrong  # the checker must refuse this
            """
        ),
        encoding="utf-8",
    )
    stdout, _, status = mypy_api.run(
        ["--strict", "--no-incremental", "--python-version", "3.11", str(source)]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 1 and len(errors) == 1, stdout
    assert (
        ':20: error: Incompatible types in assignment (expression has type "Product | None"'
        in errors[0]
    )
