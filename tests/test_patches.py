"""One test per spec fix (issue: codegen patches a to g), each through the generated code a user calls."""

from __future__ import annotations

import inspect
import json
import pkgutil
from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import Any

import httpx
import pytest

import jumpseller_async.api as api_package
from jumpseller_async import UNSET, ConfigurationError, JumpsellerClient
from jumpseller_async.api.categories import get_categories_json
from jumpseller_async.api.customer_categories import get_customer_categories_id_json
from jumpseller_async.api.customers import get_customers_email_email_json
from jumpseller_async.api.orders import get_orders_after_id_json, get_orders_id_json
from jumpseller_async.api.products import (
    get_products_id_json,
    get_products_json,
    put_products_id_json,
)
from jumpseller_async.models import (
    Category,
    CustomerCategory,
    Order,
    Product,
    ProductEdit,
    ProductEditFields,
    ProductFieldsStatus,
)

ClientFactory = Callable[..., JumpsellerClient]


def all_operation_modules() -> list[ModuleType]:
    modules = []
    for tag in pkgutil.iter_modules(api_package.__path__):
        if tag.name.startswith("_"):
            continue
        package = import_module(f"jumpseller_async.api.{tag.name}")
        for op in pkgutil.iter_modules(package.__path__):
            modules.append(import_module(f"{package.__name__}.{op.name}"))
    return modules


def answering(payload: Any, status: int = 200, seen: list[httpx.Request] | None = None) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=payload)

    return handler


# a. credentials are the client's job ---------------------------------------------------------


def test_a_no_operation_takes_credentials() -> None:
    modules = all_operation_modules()
    assert len(modules) == 183
    for module in modules:
        for function in (module.asyncio, module.asyncio_detailed):
            params = set(inspect.signature(function).parameters)
            assert not params & {"login", "authtoken", "partner_code", "auth_token"}, (
                module.__name__
            )


async def test_a_credentials_travel_as_basic_auth_not_in_the_url(
    make_client: ClientFactory,
) -> None:
    seen: list[httpx.Request] = []
    async with make_client(answering({"product": {"id": 5}}, seen=seen)) as client:
        await get_products_id_json.asyncio(5, client=client)
    assert "authtoken" not in str(seen[0].url) and "login" not in str(seen[0].url)
    assert seen[0].headers["Authorization"].startswith("Basic ")


# b. nulls anywhere ---------------------------------------------------------------------------


async def test_b_null_categories_status_and_nested_nulls_parse(make_client: ClientFactory) -> None:
    payload = {
        "product": {
            "id": 5,
            "name": None,
            "status": None,
            "categories": None,
            "images": [None, {"id": 1, "url": None}],
            "variants": [{"id": 2, "options": None, "price": None}],
        }
    }
    async with make_client(answering(payload)) as client:
        product = await get_products_id_json.asyncio(5, client=client)
    assert isinstance(product, Product)
    assert product.product is not None
    assert product.product.categories is None and product.product.status is None
    assert product.to_dict() == payload


async def test_b_order_with_null_customer_and_null_lists_parses(make_client: ClientFactory) -> None:
    payload = {
        "order": {
            "id": 9,
            "customer": None,
            "products": None,
            "status": None,
            "shipping_address": None,
        }
    }
    async with make_client(answering(payload)) as client:
        order = await get_orders_id_json.asyncio(9, client=client)
    assert isinstance(order, Order) and order.order is not None
    assert order.order.customer is None
    assert order.to_dict() == payload


async def test_b_null_wrapper_and_null_list_items(make_client: ClientFactory) -> None:
    async with make_client(answering([None, {"product": None}, {"product": {"id": 1}}])) as client:
        products = await get_products_json.asyncio(client=client)
    assert products[0] is None
    assert products[1].product is None
    assert products[2].product.id == 1


# c. forward compatibility --------------------------------------------------------------------


async def test_c_unknown_enum_value_and_unknown_fields_are_kept(make_client: ClientFactory) -> None:
    payload = {
        "product": {
            "id": 5,
            "status": "archived",
            "brand": "Acme",
            "compare_at_price": "19.90",
            "x_new_field": {"nested": [1, None]},
        }
    }
    async with make_client(answering(payload)) as client:
        product = await get_products_id_json.asyncio(5, client=client)
    fields = product.product
    assert fields.status == "archived" and isinstance(fields.status, ProductFieldsStatus)
    # brand and compare_at_price are typed since the official spec's merge; a number sent as a
    # string is kept as sent. A field neither spec knows is kept aside, whole.
    assert (fields.brand, fields.compare_at_price) == ("Acme", "19.90")
    assert fields.additional_properties == {"x_new_field": {"nested": [1, None]}}
    assert product.to_dict() == payload


def test_c_known_enum_values_stay_members() -> None:
    assert ProductFieldsStatus("available") is ProductFieldsStatus.AVAILABLE
    with pytest.raises(ValueError):
        ProductFieldsStatus(42)  # type: ignore[arg-type]


# d. a request body carries exactly what the caller set ---------------------------------------


async def test_d_put_sends_only_the_fields_set(make_client: ClientFactory) -> None:
    seen: list[httpx.Request] = []
    async with make_client(answering({"product": {"id": 5, "name": "x"}}, seen=seen)) as client:
        await put_products_id_json.asyncio(
            5, client=client, body=ProductEdit(product=ProductEditFields(name="x"))
        )
    assert json.loads(seen[0].content) == {"product": {"name": "x"}}
    assert seen[0].headers["Content-Type"] == "application/json"


def test_d_explicit_null_is_sent_and_unset_is_not() -> None:
    body = ProductEdit(product=ProductEditFields(name="x", description=None))
    assert body.to_dict() == {"product": {"name": "x", "description": None}}


async def test_d_parsed_answers_invent_nothing(make_client: ClientFactory) -> None:
    async with make_client(answering({"product": {"id": 5}})) as client:
        product = await get_products_id_json.asyncio(5, client=client)
    assert product.product.stock is UNSET and product.product.status is UNSET
    assert product.to_dict() == {"product": {"id": 5}}


async def test_d_no_default_query_parameters(make_client: ClientFactory) -> None:
    seen: list[httpx.Request] = []
    async with make_client(answering([], seen=seen)) as client:
        await get_products_json.asyncio(client=client)
    assert dict(seen[0].url.params) == {}


# e. response shapes the apis.guru spec gets wrong --------------------------------------------


async def test_e_categories_is_a_list(make_client: ClientFactory) -> None:
    payload = [{"category": {"id": 1, "name": "Shoes"}}, {"category": {"id": 2, "name": "Hats"}}]
    async with make_client(answering(payload)) as client:
        categories = await get_categories_json.asyncio(client=client)
    assert [type(c) for c in categories] == [Category, Category]
    assert categories[1].category.name == "Hats"


async def test_e_orders_after_is_a_list(make_client: ClientFactory) -> None:
    async with make_client(answering([{"order": {"id": 11}}, {"order": {"id": 12}}])) as client:
        orders = await get_orders_after_id_json.asyncio(10, client=client)
    assert [o.order.id for o in orders] == [11, 12]


async def test_e_order_customer_is_flat(make_client: ClientFactory) -> None:
    customer = {
        "id": 3,
        "email": "a@b.c",
        "phone": None,
        "phone_prefix": "+56",
        "ip": "1.2.3.4",
        "fullname": "Ana",
    }
    async with make_client(answering({"order": {"id": 1, "customer": customer}})) as client:
        order = await get_orders_id_json.asyncio(1, client=client)
    assert order.order.customer.email == "a@b.c"
    assert order.order.customer.fullname == "Ana"


async def test_e_customer_category_wrapper(make_client: ClientFactory) -> None:
    async with make_client(answering({"customer_category": {"id": 4, "name": "VIP"}})) as client:
        category = await get_customer_categories_id_json.asyncio(4, client=client)
    assert isinstance(category, CustomerCategory)
    assert category.customer_category.name == "VIP"


# f. page size --------------------------------------------------------------------------------


async def test_f_limit_above_100_is_refused_before_sending(make_client: ClientFactory) -> None:
    seen: list[httpx.Request] = []
    async with make_client(answering([], seen=seen)) as client:
        with pytest.raises(ConfigurationError, match=r"limit=200 .*1\.\.100"):
            await get_products_json.asyncio(client=client, limit=200)
        await get_products_json.asyncio(client=client, limit=100)
    assert len(seen) == 1 and seen[0].url.params["limit"] == "100"


# g. path parameters are escaped --------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "raw_path"),
    [
        ("ana+shop@example.com", b"/v1/customers/email/ana%2Bshop%40example.com.json"),
        ("ana maria@example.com", b"/v1/customers/email/ana%20maria%40example.com.json"),
        ("a/b?c#d@example.com", b"/v1/customers/email/a%2Fb%3Fc%23d%40example.com.json"),
    ],
)
async def test_g_email_path_is_escaped(
    make_client: ClientFactory, email: str, raw_path: bytes
) -> None:
    seen: list[httpx.Request] = []
    async with make_client(answering({"customer": {"id": 1}}, seen=seen)) as client:
        await get_customers_email_email_json.asyncio(email, client=client)
    assert seen[0].url.raw_path == raw_path


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"code": "shop", "name": "Shop", "currency": "CLP"}, id="bare (both specs)"),
        pytest.param({"store": {"code": "shop", "name": "Shop", "currency": "CLP"}}, id="wrapped"),
    ],
)
async def test_store_info_parses_bare_or_wrapped(
    make_client: ClientFactory, payload: dict[str, Any]
) -> None:
    from jumpseller_async.api.stores import get_store_info_json

    async with make_client(answering(payload)) as client:
        info = await get_store_info_json.asyncio(client=client)
    store = info.store if "store" in payload else info
    assert (store.code, store.name) == ("shop", "Shop")
    assert not info.additional_properties and info.to_dict() == payload


def test_credentials_in_models_never_show_in_reprs() -> None:
    from jumpseller_async.models import (
        CustomerFieldsWithPassword,
        Store,
        StoreSetupResponseCredentials,
    )

    secret = "s3cr3t-token-0123456789abcdef"
    models = [
        StoreSetupResponseCredentials.from_dict({"login": "new-store", "authtoken": secret}),
        Store.from_dict({"code": "shop", "hooks_token": secret}),
        CustomerFieldsWithPassword.from_dict({"email": "a@b.c", "password": secret}),
    ]
    for model in models:
        assert secret not in repr(model), type(model).__name__
        assert secret in str(model.to_dict())  # nothing lost: only the repr hides it
