"""The fake Jumpseller: routes, shapes, CRUD, pages, credentials, limits, faults."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

import jumpseller_async
import jumpseller_async.testing as testing
from codegen._merge import build_spec
from codegen._spec import PatchSet
from jumpseller_async.testing import (
    ROUTES,
    FakeJumpseller,
    SlidingWindowLog,
    StoreRateLimiter,
)
from jumpseller_async.testing._fieldtypes import BODIES, FIELD_TYPES
from tests._fakebodies import official_route_values, valid_body
from tests._faultclients import NESTED

pytest_plugins = ["jumpseller_async.testing.pytest_plugin"]

LOGIN = "demo-store"
TOKEN = "demo-token-000000000000000000000000"
AUTH = (LOGIN, TOKEN)
BASE = "http://fake/v1"


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSleep:
    """Stands in for asyncio.sleep: records delays instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client(fake: FakeJumpseller, **kwargs: Any) -> httpx.AsyncClient:
    kwargs.setdefault("auth", AUTH)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE, **kwargs)


def unlimited(**kwargs: Any) -> FakeJumpseller:
    return FakeJumpseller(limits=None, **kwargs)


async def all_pages(http: httpx.AsyncClient, path: str, limit: int = 100) -> list[Any]:
    items: list[Any] = []
    page = 1
    while True:
        response = await http.get(path, params={"page": page, "limit": limit})
        assert response.status_code == 200, response.text
        batch = response.json()
        items.extend(batch)
        if len(batch) < limit:
            return items
        page += 1


# ---------------------------------------------------------------------------------------
# the route table
# ---------------------------------------------------------------------------------------


def _merged_spec() -> Any:
    """What codegen generates from, before the rules (so references are still plain $refs)."""
    patches = PatchSet.load().patches
    merged, _ = build_spec(patchset=PatchSet(rules=[], patches=patches))
    return merged


def _spec_operations() -> set[tuple[str, str]]:
    spec = _merged_spec()
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }


def test_route_table_is_exactly_the_openapi_operations() -> None:
    operations = _spec_operations()
    assert len(operations) == 183
    assert len(ROUTES) == len(set(ROUTES)) == 183
    assert set(ROUTES) == operations
    assert set(unlimited().routes) == operations


def _declared_type(spec: Any, schema: Any) -> str | None:
    schema = _deref(spec, schema)
    if "type" in schema:
        return str(schema["type"])
    if "properties" in schema:
        return "object"  # ShippingAddress, BillingAddress: properties, no type
    if "items" in schema:
        return "array"
    return None


def _deref(spec: Any, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _spec_body_tables() -> tuple[dict[Any, Any], dict[str, dict[str, str]]]:
    """``_fieldtypes.BODIES`` and ``FIELD_TYPES`` as the merged spec's request bodies say them."""
    spec = _merged_spec()
    bodies: dict[Any, Any] = {}
    types: dict[str, dict[str, str]] = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch") or "requestBody" not in operation:
                continue
            ref = _deref(spec, operation["requestBody"])["content"]["application/json"]["schema"]
            top_name = ref["$ref"].rsplit("/", 1)[-1]
            top = _deref(spec, ref)
            properties = top.get("properties", {})
            only = next(iter(properties.values()), None)
            # A wrapped body: {"product": {...}}; the merge may add the official spec's name for
            # the same wrapper ({"customer_category": ...} beside {"category": ...}).
            same = {json.dumps(p, sort_keys=True) for p in properties.values()}
            if len(same) == 1 and _declared_type(spec, only) == "object":
                wrapper, inner_ref = next(iter(properties.items()))
                name = (
                    inner_ref["$ref"].rsplit("/", 1)[-1]
                    if "$ref" in inner_ref
                    else f"{top_name}.{wrapper}"
                )
                inner = _deref(spec, inner_ref)
            else:
                wrapper, name, inner = None, top_name, top
            bodies[method.upper(), path] = (wrapper, name)
            types[name] = {
                field: kind
                for field, sub in inner.get("properties", {}).items()
                if (kind := _declared_type(spec, sub)) is not None
            }
    return bodies, types


def test_field_type_table_is_the_openapi_request_bodies() -> None:
    bodies, types = _spec_body_tables()
    assert bodies == BODIES
    assert types == FIELD_TYPES
    assert set(BODIES) <= set(ROUTES)
    assert FIELD_TYPES["ProductEditFields"]["name"] == "string"
    assert FIELD_TYPES["CustomerFieldsWithPasswordNoID"]["shipping_address"] == "object"
    kinds = {kind for fields in FIELD_TYPES.values() for kind in fields.values()}
    assert kinds <= {"string", "integer", "number", "boolean", "object", "array"}


def _first(
    items: Iterator[dict[str, Any]], predicate: Callable[[dict[str, Any]], Any]
) -> dict[str, Any]:
    return next(item for item in items if predicate(item))


def _concrete(fake: FakeJumpseller, template: str) -> tuple[str, dict[str, str]]:
    """A path for ``template`` that names existing items, plus required query params."""
    store = fake.store
    values: dict[str, Any] = {}
    query: dict[str, str] = {}
    official = official_route_values(fake, template)
    if official is not None:
        values, raw_query = official
        path = re.sub(
            r"\{([a-z_]+)\}", lambda m: quote(str(values[m.group(1)]), safe="@+"), template
        )
        return path, {k: str(v) for k, v in raw_query.items()}
    sub_keys = {
        "variants": "variants",
        "images": "images",
        "attachments": "_attachments",
        "digital_products": "digital_products",
        "fields": "_fields",
        "options": "_options",
    }
    parts = template.split("/")
    if parts[1] == "products" and len(parts) > 3 and parts[2] in ("{id}", "{product_id}"):
        key = sub_keys[parts[3].removesuffix(".json")]
        product = _first(
            iter(store.products), lambda p: p[key] and (key != "_options" or p[key][0]["values"])
        )
        item = product[key][0]
        values = {"id": product["id"], "product_id": product["id"]}
        for name in (
            "variant_id",
            "image_id",
            "attachment_id",
            "digital_product_id",
            "field_id",
            "option_id",
        ):
            values[name] = item["id"]
        if key == "_options":
            values["value_id"] = item["values"][0]["id"]
    elif parts[1] == "products":
        values = {
            "id": store.products.ids[3],
            "category_id": store.categories.ids[0],
            "status": "available",
        }
        query = {"query": "a"} if "search" in template else {}
    elif parts[1] == "customers":
        customer = _first(iter(store.customers), lambda c: c["_fields"])
        values = {
            "id": customer["id"],
            "field_id": customer["_fields"][0]["id"],
            "email": customer["email"],
        }
    elif parts[1] == "custom_fields":
        field = _first(iter(store.custom_fields), lambda f: f["_options"])
        values = {"id": field["id"], "custom_field_select_option_id": field["_options"][0]["id"]}
    elif parts[1] in ("countries",):
        values = {"country_code": "CL", "region_code": "RM"}
    elif parts[1] == "jsapps":
        values = {"code": "reviews-widget"}
    elif parts[1] in ("orders", "order"):
        values = {"id": store.orders.ids[0], "status": "Paid"}
    elif parts[1] == "partners":
        query = {"from": "2025-01-01", "to": "2025-01-31"}
    elif parts[1] == "store" and "check_status" in template:
        query = {"store_code": "existing"}
    elif "{id}" in template:
        values = {"id": getattr(store, parts[1]).ids[0]}
    path = re.sub(r"\{([a-z_]+)\}", lambda m: quote(str(values[m.group(1)]), safe="@+"), template)
    return path, query


def _valid_body(fake: FakeJumpseller, method: str, template: str) -> Any:
    if method not in ("POST", "PUT") and "customers.json" not in template:
        return None
    try:
        return valid_body(fake, template)
    except KeyError:
        return None


async def test_every_operation_answers_with_valid_input() -> None:
    fake = unlimited()
    fake.store.partner_stores["existing"] = {
        "name": "Existing",
        "email": "p@example.com",
        "currency": "CLP",
    }
    partner = {"partner_code": "demo-partner", "auth_token": "demo-partner-token-0000000000000000"}
    order = {"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}
    async with client(fake) as http:
        # Reads first, deletes last, and children deleted before their parents.
        for method, template in sorted(ROUTES, key=lambda r: (order[r[0]], -len(r[1]), r[1])):
            path, query = _concrete(fake, template)
            if template in (
                "/partners/stores.json",
                "/store/check_status.json",
                "/store/create.json",
            ):
                query = {**query, **partner}
            body = _valid_body(fake, method, template)
            response = await http.request(
                method,
                path,
                params=query,
                json=body,
                auth=None if "partner_code" in query else AUTH,
            )
            assert response.status_code == 200, (method, template, path, response.text)
            assert response.json() is not None
            if template.endswith("count.json"):
                assert set(response.json()) == {"count"}, template


# ---------------------------------------------------------------------------------------
# CRUD
# ---------------------------------------------------------------------------------------


async def test_product_crud_round_trip() -> None:
    fake = unlimited()
    async with client(fake) as http:
        before = (await http.get("/products/count.json")).json()["count"]
        created = await http.post(
            "/products.json",
            json={
                "product": {"name": "Alpaca Scarf", "price": 25990, "categories": [{"id": 210001}]}
            },
        )
        assert created.status_code == 200
        product = created.json()["product"]
        assert product["id"] > max(fake.store.products.ids[:-1])
        assert product["categories"][0]["name"] == "Clothing"
        assert product["description"] is None

        fetched = (await http.get(f"/products/{product['id']}.json")).json()["product"]
        assert fetched == product
        assert (await http.get("/products/count.json")).json() == {"count": before + 1}

        updated = await http.put(f"/products/{product['id']}.json", json={"product": {"stock": 5}})
        assert updated.json()["product"]["stock"] == 5
        assert updated.json()["product"]["name"] == "Alpaca Scarf"

        deleted = await http.delete(f"/products/{product['id']}.json")
        assert deleted.status_code == 200
        missing = await http.get(f"/products/{product['id']}.json")
        assert missing.status_code == 404
        assert missing.json() == {"message": "Product not found"}
        assert (await http.get("/products/count.json")).json() == {"count": before}


async def test_create_status_201_is_configurable() -> None:
    fake = unlimited(create_status=201)
    async with client(fake) as http:
        response = await http.post(
            "/hooks.json", json={"hook": {"event": "order_paid", "url": "https://x.test/h"}}
        )
        assert response.status_code == 201
        assert set(response.json()) == {"hook"}


async def test_partial_put_keeps_every_other_field() -> None:
    fake = unlimited()
    product_id = _first(iter(fake.store.products), lambda p: p["variants"] and p["_category_ids"])[
        "id"
    ]
    async with client(fake) as http:
        before = (await http.get(f"/products/{product_id}.json")).json()["product"]
        after = (
            await http.put(f"/products/{product_id}.json", json={"product": {"price": 1.0}})
        ).json()["product"]
        changed = {k for k in before if before[k] != after[k]}
        assert changed == {"price", "updated_at"}
        assert after["variants"] == before["variants"]
        assert after["categories"] == before["categories"]

        customer_id = _first(iter(fake.store.customers), lambda c: c["shipping_address"]["postal"])[
            "id"
        ]
        c_before = (await http.get(f"/customers/{customer_id}.json")).json()["customer"]
        c_after = (
            await http.put(
                f"/customers/{customer_id}.json",
                json={"customer": {"shipping_address": {"city": "Arica"}}},
            )
        ).json()["customer"]
        assert c_after["shipping_address"] == {**c_before["shipping_address"], "city": "Arica"}
        assert {k: v for k, v in c_after.items() if k != "shipping_address"} == {
            k: v for k, v in c_before.items() if k != "shipping_address"
        }


async def test_empty_strings_are_stored_as_null() -> None:
    async with client(unlimited()) as http:
        page = (await http.post("/pages.json", json={"page": {"title": "Hi", "body": ""}})).json()[
            "page"
        ]
        assert page["body"] is None


async def test_sub_resources_variants_options_values_images() -> None:
    fake = unlimited()
    product_id = _first(iter(fake.store.products), lambda p: not p["variants"] and p["images"])[
        "id"
    ]
    async with client(fake) as http:
        base = f"/products/{product_id}"
        option = (
            await http.post(f"{base}/options.json", json={"option": {"name": "Size"}})
        ).json()["option"]
        value = (
            await http.post(
                f"{base}/options/{option['id']}/values.json", json={"value": {"name": "M"}}
            )
        ).json()["value"]
        assert (await http.get(f"{base}/options/{option['id']}/values/count.json")).json() == {
            "count": 1
        }
        renamed = await http.put(
            f"{base}/options/{option['id']}/values/{value['id']}.json",
            json={"value": {"name": "L"}},
        )
        assert renamed.json() == {"value": {**value, "name": "L"}}

        stored = fake.store.products.get(product_id)
        assert stored is not None
        image_id = stored["images"][0]["id"]
        variant = (
            await http.post(
                f"{base}/variants.json",
                json={
                    "variant": {
                        "price": 10.0,
                        "stock": 4,
                        "image_id": image_id,
                        "options": [{"name": "Size", "value": "L"}],
                    }
                },
            )
        ).json()["variant"]
        assert variant["image"]["id"] == image_id
        assert (await http.get(f"{base}/variants/count.json")).json() == {"count": 1}
        put = await http.put(
            f"{base}/variants/{variant['id']}.json", json={"variant": {"stock": 9}}
        )
        assert put.json()["variant"]["stock"] == 9
        assert put.json()["variant"]["price"] == 10.0
        product = (await http.get(f"{base}.json")).json()["product"]
        assert product["stock"] == 9
        assert [v["id"] for v in product["variants"]] == [variant["id"]]

        assert (await http.delete(f"{base}/images/{image_id}.json")).status_code == 200
        assert (await http.get(f"{base}/images/{image_id}.json")).status_code == 404
        assert (await http.get(f"{base}/variants/{variant['id']}.json")).json()["variant"][
            "image"
        ] is None
        assert (await http.get(f"{base}/variants/999.json")).status_code == 404
        assert (await http.get("/products/1/variants.json")).status_code == 404


async def test_customer_categories_membership_and_additional_fields() -> None:
    fake = unlimited()
    async with client(fake) as http:
        category = (
            await http.post("/customer_categories.json", json={"category": {"name": "B2B"}})
        ).json()["customer_category"]
        assert category["code"] == "b2b"
        customer = (await http.get("/customers.json", params={"limit": 1})).json()[0]["customer"]
        added = await http.post(
            f"/customer_categories/{category['id']}/customers.json",
            json={"customers": [{"email": customer["email"]}]},
        )
        assert added.status_code == 200
        members = (await http.get(f"/customer_categories/{category['id']}/customers.json")).json()
        assert [m["customer"]["id"] for m in members] == [customer["id"]]
        tagged = (await http.get(f"/customers/{customer['id']}.json")).json()["customer"]
        assert {"customer_category": category} in tagged["customer_categories"]
        await http.request(
            "DELETE",
            f"/customer_categories/{category['id']}/customers.json",
            json={"customers": [{"id": customer["id"]}]},
        )
        assert (
            await http.get(f"/customer_categories/{category['id']}/customers.json")
        ).json() == []

        field = (
            await http.post(
                f"/customers/{customer['id']}/fields",
                json={
                    "customer_additional_field": {
                        "checkout_custom_field_id": 3001,
                        "value": "76.086.428-5",
                    }
                },
            )
        ).json()["customer_additional_field"]
        assert field["label"] == "Tax ID"
        assert field["customer_id"] == customer["id"]
        listed = (await http.get(f"/customers/{customer['id']}/fields")).json()
        assert {"customer_additional_field": field} in listed


async def test_orders_create_update_history() -> None:
    fake = unlimited()
    product = (await _get_json(fake, "/products.json?limit=1"))[0]["product"]
    async with client(fake) as http:
        created = await http.post(
            "/orders.json",
            json={
                "order": {
                    "status": "Pending Payment",
                    "products": [{"id": product["id"], "qty": 2}],
                }
            },
        )
        order = created.json()["order"]
        assert order["status_enum"] == "pending_payment"
        assert order["subtotal"] == product["price"] * 2
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", order["created_at"])
        updated = (
            await http.put(
                f"/orders/{order['id']}.json",
                json={"order": {"status": "paid", "shipment_status": "in_transit"}},
            )
        ).json()["order"]
        assert (updated["status"], updated["status_enum"]) == ("Paid", "paid")
        assert (updated["shipment_status"], updated["shipment_status_enum"]) == (
            "In Transit",
            "in_transit",
        )
        history = (await http.get(f"/orders/{order['id']}/history.json")).json()
        assert [h["order_history"]["message"] for h in history] == [
            "Order created",
            "Status changed to Paid",
            "Shipment status changed to In Transit",
        ]
        bad = await http.put(f"/orders/{order['id']}.json", json={"order": {"status": "Lost"}})
        assert bad.status_code == 404


async def test_jsapps_and_partners() -> None:
    fake = unlimited()
    async with client(fake) as http:
        apps = (await http.get("/jsapps.json")).json()
        assert all(set(a) == {"js_app"} for a in apps)
        bad = await http.post(
            "/jsapps.json",
            json={"app": {"url": "https://x.js", "template": "nope", "element": "body"}},
        )
        assert bad.status_code == 400
        assert bad.json() == {"errors": ["Template is not included in the list"]}
        for_app = (await http.get("/jsapps/chat-bubble.json")).json()
        assert [a["js_app"]["url"] for a in for_app] == ["https://chat.example.com/bubble.js"]
        assert (await http.delete(f"/jsapps/{for_app[0]['js_app']['id']}.json")).json() == {
            "message": "JsApp deleted"
        }
        assert (await http.get("/jsapps/chat-bubble.json")).status_code == 404

    partner = {"partner_code": "demo-partner", "auth_token": "demo-partner-token-0000000000000000"}
    async with client(fake, auth=None) as http:
        created = await http.post(
            "/store/create.json",
            params=partner,
            json={"store_name": "Café Sol", "email": "a@b.cl", "password": "x"},
        )
        code = created.json()["store"]["code"]
        status = (
            await http.get("/store/check_status.json", params={**partner, "store_code": code})
        ).json()
        assert status["store"]["email_partner"] == "a@b.cl"
        stats = await http.get(
            "/partners/stores.json", params={**partner, "from": "2025-01-01", "to": "2025-01-07"}
        )
        assert [s["code"] for s in stats.json()] == [code]
        missing = await http.get("/partners/stores.json", params=partner)
        assert missing.status_code == 400
        assert missing.json()["error"] is True
        # Store credentials do not open partner endpoints.
        assert (
            await http.get("/store/check_status.json", params={"store_code": code}, auth=AUTH)
        ).status_code == 401


# ---------------------------------------------------------------------------------------
# body types: wrong JSON types answer 422, store nothing, never crash
# ---------------------------------------------------------------------------------------


async def test_custom_field_values_are_the_option_strings() -> None:
    fake = unlimited()
    async with client(fake) as http:
        fields = [f["custom_field"] for f in (await http.get("/custom_fields.json")).json()]
        assert all(isinstance(v, str) for f in fields for v in f["values"])
        fit = next(f for f in fields if f["label"] == "Fit")
        assert fit["values"] == ["Slim", "Regular", "Relaxed"]
        # The options keep their ids behind the select_options routes.
        options = (await http.get(f"/custom_fields/{fit['id']}/select_options.json")).json()
        assert [o["custom_field_select_option"]["value"] for o in options] == fit["values"]
        assert all(isinstance(o["custom_field_select_option"]["id"], int) for o in options)

        created = (
            await http.post(
                "/custom_fields.json",
                json={"custom_field": {"label": "Cut", "type": "selection", "values": ["A", "B"]}},
            )
        ).json()["custom_field"]
        assert created["values"] == ["A", "B"]
        base = f"/custom_fields/{created['id']}/select_options"
        await http.post(f"{base}.json", json={"custom_field_select_option": {"value": "C"}})
        got = (await http.get(f"/custom_fields/{created['id']}.json")).json()["custom_field"]
        assert got["values"] == ["A", "B", "C"]
        assert len((await http.get(f"{base}.json")).json()) == 3

        bad = await http.post(
            "/custom_fields.json", json={"custom_field": {"label": "X", "values": ["A", 7]}}
        )
        assert bad.status_code == 422
        assert bad.json()["errors"] == {"values[1]": ["must be a string"]}


def _errors(response: httpx.Response) -> Any:
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    return body["errors"]


NOT_OBJECTS = ["Av. Providencia 1", ["Av. Providencia 1"], 1234]


@pytest.mark.parametrize("value", NOT_OBJECTS, ids=["string", "list", "number"])
async def test_non_object_nested_values_answer_422_naming_the_field(value: Any) -> None:
    fake = unlimited()
    customer = _first(iter(fake.store.customers), lambda c: c["fullname"])
    customer_path = f"/customers/{customer['id']}.json"
    line = {"id": fake.store.products.ids[0]}
    cases: list[tuple[str, str, str, Any, str]] = [
        # (method, path, wrapper, fields, the field the error names)
        # The reported crash: a new customer without fullname whose address is a street.
        (
            "POST",
            "/customers.json",
            "customer",
            {"email": "street@example.com", "shipping_address": value},
            "shipping_address",
        ),
        # The same on PUT, for a customer whose fullname is cleared.
        (
            "PUT",
            customer_path,
            "customer",
            {"fullname": "", "shipping_address": value},
            "shipping_address",
        ),
        ("PUT", customer_path, "customer", {"billing_address": value}, "billing_address"),
        ("POST", "/pages.json", "page", {"title": "About", "image": value}, "image"),
        ("POST", "/orders.json", "order", {"products": [line], "customer": value}, "customer"),
        (
            "POST",
            "/orders.json",
            "order",
            {"products": [line], "customer": {"email": "o@x.cl", "billing_address": value}},
            "customer.billing_address",
        ),
    ]
    customers, pages, orders = (
        len(fake.store.customers),
        len(fake.store.pages),
        len(fake.store.orders),
    )
    async with client(fake) as http:
        for method, path, wrapper, fields, field in cases:
            response = await http.request(method, path, json={wrapper: fields})
            assert _errors(response) == {field: ["must be an object"]}, (path, fields)
        after = (await http.get(customer_path)).json()["customer"]
    # Nothing was stored.
    assert (len(fake.store.customers), len(fake.store.pages), len(fake.store.orders)) == (
        customers,
        pages,
        orders,
    )
    assert after["fullname"] == customer["fullname"]
    assert after["shipping_address"] == customer["shipping_address"]
    assert after["billing_address"] == customer["billing_address"]


async def test_refused_updates_change_nothing() -> None:
    fake = unlimited()
    field_id = next(f["id"] for f in fake.store.custom_fields if f["_options"])
    first, second = list(fake.store.customers)[:2]
    async with client(fake) as http:
        path = f"/custom_fields/{field_id}.json"
        before = (await http.get(path)).json()
        refused = await http.put(
            path, json={"custom_field": {"label": "Renamed", "values": ["A", {"value": 7}]}}
        )
        assert _errors(refused) == {"values[1]": ["must be a string"]}
        assert (await http.get(path)).json() == before

        path = f"/customers/{second['id']}.json"
        before = (await http.get(path)).json()
        taken = await http.put(
            path, json={"customer": {"phone": "+56 9 0000 0000", "email": first["email"]}}
        )
        assert taken.status_code == 422
        assert (await http.get(path)).json() == before


async def test_null_objects_are_accepted() -> None:
    async with client(unlimited()) as http:
        created = await http.post(
            "/customers.json",
            json={"customer": {"email": "nulls@example.com", "shipping_address": None}},
        )
        assert created.status_code == 200, created.text
        assert created.json()["customer"]["shipping_address"] is None
        assert created.json()["customer"]["fullname"] is None


async def test_order_lines_of_the_wrong_type_answer_422() -> None:
    fake = unlimited()
    product_id = fake.store.products.ids[0]
    before = len(fake.store.orders)
    async with client(fake) as http:
        for line, field, kind in (
            ({"id": product_id, "price": "cheap"}, "products[0].price", "a number"),
            ({"id": product_id, "discount": [1]}, "products[0].discount", "a number"),
            ({"id": product_id, "qty": "two"}, "products[0].qty", "an integer"),
            ("just a name", "products[0]", "an object"),
        ):
            response = await http.post("/orders.json", json={"order": {"products": [line]}})
            assert _errors(response) == {field: [f"must be {kind}"]}
        response = await http.post(
            "/orders.json",
            json={"order": {"products": [{"id": product_id}], "shipping_price": "free"}},
        )
        assert _errors(response) == {"shipping_price": ["must be a number"]}
    assert len(fake.store.orders) == before


ILL_TYPED: list[tuple[str, str, str, Any, str]] = [
    # (resource, wrapper, field, wrong value, expected type)
    ("products", "product", "name", 42, "a string"),
    ("products", "product", "price", "12.5", "a number"),
    ("products", "product", "stock", 2.5, "an integer"),
    ("products", "product", "featured", "yes", "a boolean"),
    ("products", "product", "categories", {"id": 1}, "an array"),
    ("shipping_methods", "shipping_method", "postal", 8320000, "a string"),
    ("categories", "category", "parent_id", "root", "an integer"),
    ("promotions", "promotion", "enabled", 1, "a boolean"),
    ("pages", "page", "template", "page", "an integer"),
    ("customers", "customer", "email", ["a@b.cl"], "a string"),
]


@pytest.mark.parametrize(
    ("resource", "wrapper", "field", "value", "kind"),
    ILL_TYPED,
    ids=[f"{r}.{f}" for r, _, f, _, _ in ILL_TYPED],
)
async def test_ill_typed_fields_answer_422_and_store_nothing(
    resource: str, wrapper: str, field: str, value: Any, kind: str
) -> None:
    fake = unlimited()
    collection = getattr(fake.store, resource)
    count = len(collection)
    path = f"/{resource}/{collection.ids[0]}.json"
    async with client(fake) as http:
        before = (await http.get(path)).json()[wrapper]
        response = await http.put(path, json={wrapper: {field: value, "updated_at": "x"}})
        assert _errors(response) == {field: [f"must be {kind}"]}
        assert (await http.get(path)).json()[wrapper] == before
        created = await http.post(f"/{resource}.json", json={wrapper: {field: value}})
        assert _errors(created) == {field: [f"must be {kind}"]}
    assert len(collection) == count


async def test_every_wrong_field_is_named_and_taxes_store_nothing() -> None:
    fake = unlimited()
    taxes = len(fake.store.taxes)
    async with client(fake) as http:
        response = await http.post(
            "/taxes.json", json={"tax": {"name": ["VAT"], "tax": "19", "fixed": "no"}}
        )
        assert _errors(response) == {
            "name": ["must be a string"],
            "tax": ["must be a number"],
            "fixed": ["must be a boolean"],
        }
    assert len(fake.store.taxes) == taxes


async def test_what_the_types_accept() -> None:
    fake = unlimited()
    product_id = fake.store.products.ids[0]
    path = f"/products/{product_id}.json"
    async with client(fake) as http:
        ok = await http.put(
            path,
            json={
                "product": {
                    "price": 12,  # an integer is a number
                    "stock": 5.0,  # an integral float is an integer, stored as one
                    "weight": None,  # null is always accepted
                    "sku": "",  # and "" (stored as null)
                    "x_new_field": [1, {"a": 2}],  # undeclared fields are stored as sent
                }
            },
        )
        assert ok.status_code == 200, ok.text
        product = ok.json()["product"]
        assert (product["price"], product["weight"], product["sku"]) == (12, None, None)
        assert product["stock"] == 5 and isinstance(product["stock"], int)
        assert product["x_new_field"] == [1, {"a": 2}]
        # The older wrapper names the handlers accept are checked too.
        alias = await http.post(
            "/customer_categories.json", json={"customer_category": {"name": 1}}
        )
        assert _errors(alias) == {"name": ["must be a string"]}
        # Infinity is no number the API could store (nor echo as JSON): refused before any field.
        inf = await http.put(
            path,
            content=b'{"product": {"price": 1e999}}',
            headers={"content-type": "application/json"},
        )
        assert inf.status_code == 400 and "out of a double's range" in inf.json()["message"]


async def test_partner_store_create_refuses_wrong_types_as_partner_errors() -> None:
    partner = {"partner_code": "demo-partner", "auth_token": "demo-partner-token-0000000000000000"}
    fake = unlimited()
    async with client(fake, auth=None) as http:
        response = await http.post(
            "/store/create.json",
            params=partner,
            json={"store_name": ["Sol"], "email": "a@b.cl", "password": "x"},
        )
        assert response.status_code == 400
        assert response.json() == {
            "error": True,
            "field": "store_name",
            "message": "store_name must be a string",
        }
    assert fake.store.partner_stores == {}


WRONG_VALUES: list[Any] = ["x", 2.5, True, ["x"], {"id": "x"}]


async def test_wrong_types_in_any_write_never_crash() -> None:
    """Every create/update, every declared field, every JSON type: an answer, never a raise."""
    fake = unlimited()
    fake.store.partner_stores["existing"] = {"name": "E", "email": "e@x.cl", "currency": "CLP"}
    partner = {"partner_code": "demo-partner", "auth_token": "demo-partner-token-0000000000000000"}
    seen: set[int] = set()
    emails = iter(range(10**6))
    async with client(fake) as http:
        for (method, template), (wrapper, schema) in BODIES.items():
            path, query = _concrete(fake, template)
            is_partner = template == "/store/create.json"
            if is_partner:
                query = {**query, **partner}
            base = _valid_body(fake, method, template)
            for field in [*FIELD_TYPES[schema], "variants", "images", "values", "products"]:
                for value in WRONG_VALUES:
                    body = json.loads(json.dumps(base))
                    # The spec's wrapper, or the alias the valid body uses.
                    fields = body[next(iter(body))] if wrapper else body
                    fields[field] = value
                    if "email" in fields and field != "email":
                        fields["email"] = f"buyer{next(emails)}@example.com"
                    if wrapper == "customer":
                        fields.setdefault("fullname", "")  # so the address is read
                    response = await http.request(
                        method, path, params=query, json=body, auth=None if is_partner else AUTH
                    )
                    seen.add(response.status_code)
                    assert response.status_code in (200, 400, 404, 422), (
                        method,
                        template,
                        body,
                        response.text,
                    )
    assert {200, 422} <= seen


async def test_deeply_nested_bodies_answer_400() -> None:
    async with client(unlimited()) as http:
        deep = {"product": {"name": "Deep", "x": json.loads("[" * 500 + "]" * 500)}}
        response = await http.post("/products.json", json=deep)
        assert response.status_code == 400
        assert response.json() == {"message": "Request body is nested too deeply"}
        deeper = b'{"product": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        response = await http.post(
            "/products.json", content=deeper, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400


# ---------------------------------------------------------------------------------------
# pages, counts, filters
# ---------------------------------------------------------------------------------------


async def test_pagination_limits_and_counts() -> None:
    fake = unlimited(products=230, orders=120)
    async with client(fake) as http:
        default = (await http.get("/products.json")).json()
        assert len(default) == 50
        assert len((await http.get("/products.json", params={"limit": 100})).json()) == 100
        too_big = await http.get("/products.json", params={"limit": 101})
        assert too_big.status_code == 400
        assert "limit" in too_big.json()["message"]
        assert (await http.get("/orders.json", params={"limit": 200})).status_code == 400

        products = await all_pages(http, "/products.json")
        ids = [p["product"]["id"] for p in products]
        assert ids == sorted(ids) == list(fake.store.products.ids)
        assert len(products) == 230
        assert (await http.get("/products/count.json")).json() == {"count": 230}
        orders = await all_pages(http, "/orders.json", limit=37)
        assert len(orders) == (await http.get("/orders/count.json")).json()["count"] == 120
        assert (await http.get("/products.json", params={"page": 99})).json() == []

        total = 0
        for status in ("available", "not-available", "disabled"):
            listed = await all_pages(http, f"/products/status/{status}.json")
            assert all(p["product"]["status"] == status for p in listed)
            count = (await http.get(f"/products/status/{status}/count.json")).json()["count"]
            assert count == len(listed)
            total += count
        assert total == 230
        assert (await http.get("/products/status/sold-out.json")).status_code == 404

        category_id = fake.store.categories.ids[2]
        in_category = await all_pages(http, f"/products/category/{category_id}.json")
        assert in_category
        assert all(
            category_id in [c["id"] for c in p["product"]["categories"]] for p in in_category
        )
        assert (await http.get(f"/products/category/{category_id}/count.json")).json()[
            "count"
        ] == len(in_category)

        paid = await all_pages(http, f"/orders/status/{quote('Pending Payment')}.json")
        assert paid and all(o["order"]["status"] == "Pending Payment" for o in paid)
        for spelling in ("pending_payment", "Pending+Payment", "pending-payment"):
            assert len(await all_pages(http, f"/orders/status/{spelling}.json")) == len(paid)

        found = (await http.get("/products/search.json", params={"query": "mug"})).json()
        assert found and all("mug" in p["product"]["name"].lower() for p in found)


async def test_counts_follow_writes() -> None:
    fake = unlimited()
    async with client(fake) as http:
        product = (await http.get("/products/status/disabled.json", params={"limit": 1})).json()[0][
            "product"
        ]
        before = (await http.get("/products/status/disabled/count.json")).json()["count"]
        await http.put(f"/products/{product['id']}.json", json={"product": {"status": "available"}})
        assert (await http.get("/products/status/disabled/count.json")).json()[
            "count"
        ] == before - 1
        await http.delete(f"/pages/{fake.store.pages.ids[0]}.json")
        assert (await http.get("/pages/count.json")).json()["count"] == len(
            await all_pages(http, "/pages.json")
        )


async def test_after_id_is_stable_while_the_store_changes() -> None:
    fake = unlimited(products=95)
    original = list(fake.store.products.ids)
    async with client(fake) as http:
        seen: list[int] = []
        last = 0
        inserted = None
        while True:
            batch = (await http.get(f"/products/after/{last}.json", params={"limit": 20})).json()
            if not batch:
                break
            seen.extend(p["product"]["id"] for p in batch)
            last = seen[-1]
            if inserted is None:
                inserted = (
                    await http.post("/products.json", json={"product": {"name": "Late"}})
                ).json()["product"]["id"]
                # An item deleted behind the cursor shifts page numbers but not "after".
                await http.delete(f"/products/{seen[0]}.json")
        assert seen == [*original, inserted]

        orders = (await http.get(f"/orders/after/{fake.store.orders.ids[-3]}.json")).json()
        assert isinstance(orders, list)
        assert [o["order"]["id"] for o in orders] == list(fake.store.orders.ids[-2:])


async def test_page_numbers_skip_items_when_the_store_changes() -> None:
    # The contrast that motivates after/{id}: pages shift when an earlier item disappears.
    fake = unlimited(products=40)
    async with client(fake) as http:
        first = (await http.get("/products.json", params={"limit": 20, "page": 1})).json()
        await http.delete(f"/products/{first[0]['product']['id']}.json")
        second = (await http.get("/products.json", params={"limit": 20, "page": 2})).json()
        seen = {p["product"]["id"] for p in first + second}
        assert len(seen) == 39
        assert fake.store.products.ids[19] not in seen


# ---------------------------------------------------------------------------------------
# shapes and values
# ---------------------------------------------------------------------------------------


async def _get_json(fake: FakeJumpseller, path: str) -> Any:
    async with client(fake) as http:
        response = await http.get(path)
        assert response.status_code == 200, response.text
        return response.json()


async def test_email_lookup_with_plus_and_space() -> None:
    fake = unlimited()
    plus = _first(iter(fake.store.customers), lambda c: "+" in c["email"])
    async with client(fake) as http:
        for path in (
            f"/customers/email/{quote(plus['email'], safe='')}.json",
            f"/customers/email/{plus['email']}.json",
        ):
            response = await http.get(path)
            assert response.status_code == 200
            assert response.json()["customer"]["id"] == plus["id"]
        created = (
            await http.post(
                "/customers.json", json={"customer": {"email": "ana maria@example.com"}}
            )
        ).json()
        spaced = await http.get(f"/customers/email/{quote('ana maria@example.com')}.json")
        assert spaced.json()["customer"]["id"] == created["customer"]["id"]
        changed = await http.put(
            f"/customers/{plus['id']}.json", json={"customer": {"email": "New+Mail@example.com"}}
        )
        assert changed.status_code == 200
        assert (
            await http.get(f"/customers/email/{quote(plus['email'], safe='')}.json")
        ).status_code == 404
        assert (
            await http.get(f"/customers/email/{quote('new+mail@example.com', safe='')}.json")
        ).status_code == 200
        assert (await http.get("/customers/email/nobody@example.com.json")).status_code == 404
        dup = await http.post(
            "/customers.json", json={"customer": {"email": "new+mail@example.com"}}
        )
        assert dup.status_code == 422


async def test_response_shapes() -> None:
    fake = unlimited()
    categories = await _get_json(fake, "/categories.json")
    assert isinstance(categories, list)
    assert all(set(c) == {"category"} for c in categories)

    order = (await _get_json(fake, f"/orders/{fake.store.orders.ids[0]}.json"))["order"]
    assert set(order["customer"]) == {"id", "email", "phone", "phone_prefix", "ip", "fullname"}
    assert isinstance(order["customer"]["id"], int)
    assert {
        "status_enum",
        "shipment_status_enum",
        "gift_cards_discount",
        "billing_information",
    } <= set(order)

    product = (await _get_json(fake, "/products.json?limit=1"))[0]["product"]
    assert {"brand", "compare_at_price", "categories", "variants", "images"} <= set(product)
    assert not any(key.startswith("_") for key in product)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", product["created_at"])

    wrappers = {
        "/customer_categories.json": "customer_category",
        "/payment_methods.json": "payment_method",
        "/shipping_methods.json": "shipping_method",
        "/fulfillments.json": "order_fulfillment",
        "/checkout_custom_fields.json": "checkout_custom_field",
        "/custom_fields.json": "custom_field",
        "/jsapps.json": "js_app",
        "/taxes.json": "tax",
    }
    for path, wrapper in wrappers.items():
        listed = await _get_json(fake, path)
        assert listed and all(set(item) == {wrapper} for item in listed), path
    assert set(await _get_json(fake, "/store/info.json")) == {"store"}
    assert await _get_json(fake, "/orders/count.json") == {"count": 150}
    fulfillments = await _get_json(fake, f"/order/{fake.store.orders.ids[0]}/fulfillments.json")
    assert fulfillments[0]["order_fulfillment"]["order_id"] == fake.store.orders.ids[0]


async def test_nulls_are_realistic() -> None:
    fake = unlimited()
    async with client(fake) as http:
        orders = [o["order"] for o in await all_pages(http, "/orders.json")]
        products = [p["product"] for p in await all_pages(http, "/products.json")]

    def nulls(value: Any) -> int:
        if value is None:
            return 1
        if isinstance(value, dict):
            return sum(nulls(v) for v in value.values())
        if isinstance(value, list):
            return sum(nulls(v) for v in value)
        return 0

    per_order = [nulls(o) for o in orders]
    assert min(per_order) >= 10
    for field in ("description", "brand", "barcode", "compare_at_price", "sku"):
        values = [p[field] for p in products]
        assert None in values and any(v is not None for v in values), field
    assert any(o["customer"]["phone"] is None for o in orders)
    assert any(o["tracking_number"] is None for o in orders)
    assert any(isinstance(p["discount"], str) for p in products)


async def test_same_seed_same_store() -> None:
    async def snapshot(seed: int) -> list[Any]:
        fake = unlimited(seed=seed, products=60, customers=30, orders=40)
        async with client(fake) as http:
            return [
                (await http.get(path)).json()
                for path in (
                    "/products.json?limit=100",
                    "/customers.json",
                    "/orders.json",
                    "/store/info.json",
                )
            ]

    first = await snapshot(7)
    assert first == await snapshot(7)
    assert first != await snapshot(8)


async def test_scales_lazily() -> None:
    started = time.perf_counter()
    fake = unlimited(products=5_000)
    assert time.perf_counter() - started < 2.0
    big = unlimited(products=100_000, customers=100_000, orders=100_000)
    last_customer = big.store.customers.get(big.store.customers.ids[-1])
    assert last_customer is not None
    async with client(big) as http:
        assert (await http.get("/products/count.json")).json() == {"count": 100_000}
        last = (await http.get("/products.json", params={"limit": 100, "page": 1000})).json()
        assert last[-1]["product"]["id"] == big.store.products.ids[-1]
        counts = [
            (await http.get(f"/products/status/{s}/count.json")).json()["count"]
            for s in ("available", "not-available", "disabled")
        ]
        assert sum(counts) == 100_000
        email = quote(last_customer["email"], safe="")
        assert (await http.get(f"/customers/email/{email}.json")).status_code == 200
    # Reading never materialises seeded items; only writes do.
    assert not any(True for _ in big.store.products.materialized())
    assert len(fake.store.products) == 5_000


# ---------------------------------------------------------------------------------------
# credentials
# ---------------------------------------------------------------------------------------


async def test_credentials() -> None:
    fake = FakeJumpseller(bearer_tokens={"oauth-token-1"}, clock=FakeClock(), limits=((100, 1.0),))
    async with client(fake, auth=None) as http:
        assert (await http.get("/store/info.json", auth=AUTH)).status_code == 200
        assert (
            await http.get("/store/info.json", params={"login": LOGIN, "authtoken": TOKEN})
        ).status_code == 200
        bearer = await http.get(
            "/store/info.json", headers={"Authorization": "Bearer oauth-token-1"}
        )
        assert bearer.status_code == 200
        wrong: list[dict[str, Any]] = [
            {},
            {"auth": (LOGIN, "wrong")},
            {"params": {"login": LOGIN, "authtoken": "nope"}},
            {"headers": {"Authorization": "Bearer stolen"}},
            {"headers": {"Authorization": "Basic !!!"}},
        ]
        for kwargs in wrong:
            denied = await http.get("/store/info.json", **kwargs)
            assert denied.status_code == 401
            assert denied.json() == {"message": "Unauthorized"}
            assert "Jumpseller-PerSecondRateLimit-Limit" in denied.headers
        raw = base64.b64encode(f"{LOGIN}:{TOKEN}".encode()).decode()
        assert (
            await http.get("/products/count.json", headers={"Authorization": f"Basic {raw}"})
        ).status_code == 200
    assert fake.stats.unauthorized == 5


# ---------------------------------------------------------------------------------------
# rate limits
# ---------------------------------------------------------------------------------------


def test_sliding_window_log_is_strict_and_rejections_are_free() -> None:
    clock = FakeClock(0.0)
    log = SlidingWindowLog(((8, 1.0), (10, 60.0)), clock)
    assert all(log.hit(0.1 * i) for i in range(8))
    assert log.remaining(0.75) == (0, 2)
    assert not log.hit(0.99)
    assert log.hit(1.0)  # exactly one second after the oldest: it has left the window
    assert not log.hit(1.05)  # (0.05, 1.05] holds 0.1 ... 0.7 and 1.0
    assert log.retry_after(1.05) == pytest.approx(0.05)
    assert log.hit(1.1 + 1e-9)
    # Ten admitted: the minute window is full. The two rejections took no slot.
    assert log.remaining(1.3) == (2, 0)
    assert not log.hit(30.0)
    assert log.hit(60.0 + 1e-6)
    assert log.max_admitted == [8, 10]
    assert log.max_attempted[0] >= 9
    assert clock() == 0.0


async def test_max_in_window_measures_any_window_length() -> None:
    clock = FakeClock(0.0)
    fake = FakeJumpseller(clock=clock, limits=None, time_scale=0.5)
    async with client(fake) as http:
        for _ in range(6):
            await http.get("/store/info.json")
            clock.advance(0.1)
    # Requests at 0.0 ... 0.5; with time_scale 0.5 a "1 s" window is 0.5 clock seconds.
    assert fake.stats.max_in_window(1.0) == 5
    assert fake.stats.max_in_window(2.0) == 6
    assert fake.stats.max_in_window(0.1) == 1
    fake.stats.reset()
    assert fake.stats.requests == 0
    assert fake.stats.max_in_window(1.0) == 0


def test_rate_limiter_bans_after_repeated_rejections() -> None:
    clock = FakeClock(0.0)
    limiter = StoreRateLimiter(((1, 1.0),), clock=clock, ban_after=3, ban_seconds=10.0)
    assert limiter.check("a").allowed
    assert limiter.check("b").allowed  # keys are independent
    decisions = [limiter.check("a") for _ in range(3)]
    assert [d.allowed for d in decisions] == [False, False, False]
    assert decisions[-1].ban_started and decisions[-1].banned_until == 10.0
    clock.advance(5.0)
    assert limiter.check("a").banned_until == 10.0
    clock.advance(5.0)
    assert limiter.check("a").allowed


def test_the_fake_exports_no_name_that_shadows_the_client() -> None:
    # A star import of both packages, or a reader, must never mistake the fake's limiter for the
    # client's: a name the two packages share is the same object.
    shared = set(testing.__all__) & set(jumpseller_async.__all__)
    assert [n for n in shared if getattr(testing, n) is not getattr(jumpseller_async, n)] == []
    assert testing.StoreRateLimiter is not jumpseller_async.RateLimiter


async def test_ninth_request_in_a_second_is_rejected_with_headers() -> None:
    clock = FakeClock()
    fake = FakeJumpseller(clock=clock)
    async with client(fake) as http:
        responses = [await http.get("/store/info.json") for _ in range(9)]
    assert [r.status_code for r in responses] == [200] * 8 + [429]
    remaining = [int(r.headers["Jumpseller-PerSecondRateLimit-Remaining"]) for r in responses]
    assert remaining == [7, 6, 5, 4, 3, 2, 1, 0, 0]
    assert [int(r.headers["Jumpseller-PerMinuteRateLimit-Remaining"]) for r in responses[:3]] == [
        239,
        238,
        237,
    ]
    assert all(r.headers["Jumpseller-PerSecondRateLimit-Limit"] == "8" for r in responses)
    assert all(r.headers["Jumpseller-PerMinuteRateLimit-Limit"] == "240" for r in responses)
    assert responses[-1].json() == {"message": "Rate Limit Exceeded"}
    assert "Jumpseller-BannedByRateLimit-Reset" not in responses[-1].headers
    clock.advance(1.0)
    async with client(fake) as http:
        again = await http.get("/store/info.json")
    assert again.status_code == 200
    assert again.headers["Jumpseller-PerSecondRateLimit-Remaining"] == "7"
    assert fake.stats.rejections == 1
    assert fake.stats.by_status[429] == 1
    assert fake.stats.window_peaks == {1.0: 8, 60.0: 9}
    assert fake.stats.attempt_peaks[1.0] == 9
    assert fake.stats.max_in_window(1.0) == 8
    assert fake.stats.max_in_window(60.0) == 9
    assert fake.stats.max_in_window(0.5) == 8  # the fake clock stood still for the burst


async def test_reject_status_403_and_scaled_windows() -> None:
    clock = FakeClock()
    # Realistic limits, a thousand times faster: the 1 s window lasts 1 ms.
    fake = FakeJumpseller(clock=clock, reject_status=403, time_scale=0.001, retry_after_header=True)
    async with client(fake) as http:
        for _ in range(8):
            assert (await http.get("/products/count.json")).status_code == 200
        rejected = await http.get("/products/count.json")
        assert rejected.status_code == 403
        assert rejected.json() == {"message": "Rate Limit Exceeded"}
        assert rejected.headers["Retry-After"] == "1"
        clock.advance(0.001)
        assert (await http.get("/products/count.json")).status_code == 200


async def test_ban_after_rejections_sets_reset_header_on_every_answer() -> None:
    clock = FakeClock()
    fake = FakeJumpseller(
        clock=clock, limits=((2, 1.0), (100, 60.0)), ban_after=3, ban_seconds=300.0
    )
    async with client(fake) as http:
        statuses = [(await http.get("/store/info.json")).status_code for _ in range(5)]
        assert statuses == [200, 200, 429, 429, 429]
        clock.advance(10.0)  # the windows are free again, the ban is not over
        for _ in range(3):
            banned = await http.get("/store/info.json")
            assert banned.status_code == 429
            reset = banned.headers["Jumpseller-BannedByRateLimit-Reset"]
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", reset)
        clock.advance(290.0)
        assert (await http.get("/store/info.json")).status_code == 200
    assert fake.stats.bans == 1
    assert fake.stats.banned_rejections == 3
    assert fake.stats.rejections == 6


async def test_limits_are_per_store_key() -> None:
    clock = FakeClock()
    fake = FakeJumpseller(clock=clock, limits=((1, 1.0),), bearer_tokens={"t1"})
    async with client(fake, auth=None) as http:
        assert (await http.get("/store/info.json", auth=AUTH)).status_code == 200
        assert (
            await http.get("/store/info.json", headers={"Authorization": "Bearer t1"})
        ).status_code == 200
        assert (await http.get("/store/info.json", auth=AUTH)).status_code == 429
        only = await http.get("/store/info.json", headers={"Authorization": "Bearer t1"})
        assert "Jumpseller-PerMinuteRateLimit-Limit" not in only.headers


# ---------------------------------------------------------------------------------------
# faults and latency
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "502", "503", "504", "520"])
async def test_error_faults(kind: str) -> None:
    fake = unlimited()
    fake.inject_fault(kind, count=2, path="/products*")
    async with client(fake) as http:
        assert (await http.get("/store/info.json")).status_code == 200
        first = await http.get("/products.json")
        second = await http.get("/products/count.json")
        third = await http.get("/products/count.json")
    assert first.status_code == second.status_code == int(kind)
    assert third.status_code == 200
    assert fake.pending_faults == 0
    assert fake.stats.faults == 2


async def test_html_truncated_and_drop_faults() -> None:
    fake = unlimited()
    fake.inject_fault("html")
    fake.inject_fault("truncated")
    fake.inject_fault("drop", method="GET")
    async with client(fake) as http:
        html = await http.get("/orders.json")
        assert html.status_code == 200
        assert html.headers["content-type"].startswith("text/html")
        truncated = await http.get("/orders.json")
        assert truncated.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            truncated.json()
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/orders.json")
        assert (await http.get("/orders/count.json")).status_code == 200


async def test_slow_fault_latency_and_header_faults_use_the_injected_sleep() -> None:
    sleep = RecordingSleep()
    fake = unlimited(latency=0.05, sleep=sleep)
    fake.inject_fault("slow", seconds=12.0)
    async with client(fake) as http:
        assert (await http.get("/store/info.json")).status_code == 200
        assert sleep.calls == [0.05, 12.0]
        adhoc = await http.get("/store/info.json", headers={"X-Fake-Fault": "503"})
        assert adhoc.status_code == 503
        slow = await http.get("/store/info.json", headers={"X-Fake-Fault": "slow:2.5"})
        assert slow.status_code == 200
        assert sleep.calls[-1] == 2.5
    with pytest.raises(ValueError):
        fake.inject_fault("teapot")


async def test_unknown_paths_and_methods() -> None:
    async with client(unlimited()) as http:
        assert (await http.get("/nothing.json")).status_code == 404
        assert (await http.patch("/products.json")).status_code == 405
        assert (await http.get("/products/abc.json")).status_code == 404
        assert (await http.post("/products.json", content=b"{not json")).status_code == 400
        assert (await http.post("/products.json", json={"name": "no wrapper"})).status_code == 400
        outside = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=unlimited()), base_url="http://fake", auth=AUTH
        )
        async with outside:
            assert (await outside.get("/products.json")).status_code == 404


# ---------------------------------------------------------------------------------------
# pytest plugin and real server
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fake_jumpseller", [{"products": 7, "limits": None}], indirect=True)
async def test_pytest_plugin_fixtures(
    fake_jumpseller: FakeJumpseller, fake_jumpseller_transport: httpx.ASGITransport
) -> None:
    async with httpx.AsyncClient(
        transport=fake_jumpseller_transport, base_url=BASE, auth=AUTH
    ) as http:
        assert (await http.get("/products/count.json")).json() == {"count": 7}
    assert len(fake_jumpseller.store.products) == 7


@pytest.mark.integration
async def test_real_server_in_background() -> None:
    fake = FakeJumpseller(products=3)
    async with fake.run_in_background(port=0) as base_url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", base_url)
        async with httpx.AsyncClient(base_url=base_url, auth=AUTH, timeout=5.0) as http:
            response = await http.get("/products.json")
            assert response.status_code == 200
            assert len(response.json()) == 3
            assert response.headers["Jumpseller-PerSecondRateLimit-Remaining"] == "7"
            fake.inject_fault("drop")
            with pytest.raises(httpx.RemoteProtocolError):
                await http.get("/products/count.json")
            assert (
                await http.get(f"/customers/email/{quote('x+y@example.com', safe='')}.json")
            ).status_code == 404


# ---------------------------------------------------------------------------------------
# the fake, fed garbage
# ---------------------------------------------------------------------------------------


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
