"""What the official spec brought: its fields typed, its operations served by the fake, end to end.

Each test drives the typed client (``JumpsellerClient`` on an in-process ASGI transport) against
:class:`FakeJumpseller`, so the generated request, the fake's state change and the parsed,
typed answer are checked together.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import jumpseller_async.api._models as models
from codegen._merge import MergeSet, load_official
from jumpseller_async import BadRequestError, Exporter, JumpsellerClient, NotFoundError
from jumpseller_async.api._sources import SOURCES
from jumpseller_async.api._types import UNSET
from jumpseller_async.models import (
    Document,
    DocumentFields,
    DocumentFieldsDocumentType,
    DocumentFieldsToUpdate,
    FulfillmentCreate,
    FulfillmentCreateFields,
    FulfillmentEdit,
    FulfillmentEditFields,
    GetCustomersIdOrdersStatusStatusJsonStatus,
    GetOrdersSearchJsonStatusFilters,
    LocationCreateFields,
    OrderFields,
    PageImageEdit,
    PageImageEditFields,
    ProductsLocations,
    StoreSetupCreate,
    StoreSetupCreateStore,
)
from jumpseller_async.testing import FakeJumpseller


@asynccontextmanager
async def client_for(fake: FakeJumpseller) -> AsyncIterator[JumpsellerClient]:
    async with JumpsellerClient(
        fake.login,
        fake.authtoken,
        base_url="http://fake/v1",
        transport=httpx.ASGITransport(app=fake),
        rate_limits=None,
    ) as client:
        yield client


def new_fake(**kwargs: Any) -> FakeJumpseller:
    return FakeJumpseller(seed=3, limits=None, latency=0.0, **kwargs)


# --------------------------------------------------------------------------- typed fields


def _official_schemas() -> list[tuple[str, str, list[str]]]:
    """(official name, our class name, properties) for every official schema with properties."""
    aliases = MergeSet.load().schema_aliases
    found = []
    for name, schema in load_official()["components"]["schemas"].items():
        props = list(schema.get("properties", {}))
        if props:
            found.append((name, aliases.get(name, name), props))
    return found


OFFICIAL_SCHEMAS = _official_schemas()


def test_every_official_fields_schema_is_covered() -> None:
    fields = [name for name, _, _ in OFFICIAL_SCHEMAS if name.endswith("Fields")]
    assert len(fields) >= 50
    for must in ("OrderFields", "ProductFields", "CustomerFields", "ShippingMethodFields"):
        assert must in fields


@pytest.mark.parametrize(
    ("official", "ours", "props"),
    [pytest.param(*entry, id=entry[0]) for entry in OFFICIAL_SCHEMAS],
)
def test_every_official_property_is_a_typed_model_field(
    official: str, ours: str, props: list[str]
) -> None:
    cls = getattr(models, ours)
    # Null in every property: each one is a declared (nullable) field, none lands in the
    # catch-all additional_properties, and the nulls come back out as sent.
    data = {prop: None for prop in props}
    parsed = cls.from_dict(data)
    assert parsed.additional_properties == {}, (
        f"{ours}: untyped {sorted(parsed.additional_properties)}"
    )
    assert parsed.to_dict() == data


def test_the_order_fields_the_issue_names_are_typed() -> None:
    order = OrderFields.from_dict(
        {
            "completed_at": "2025-01-01 10:18:51 UTC",
            "gift_cards_discount": 1500.0,
            "shipping_branch": {"id": 7, "name": "Sucursal Centro"},
            "billing_information": {"company_name": "Andes SpA", "taxpayer_type": "company"},
            "status_enum": "paid",
        }
    )
    assert order.additional_properties == {}
    assert order.completed_at == "2025-01-01 10:18:51 UTC"
    assert order.gift_cards_discount == 1500.0
    assert type(order.shipping_branch).__name__ == "OrderShippingBranch"
    assert type(order.billing_information).__name__ == "BillingInformationFields"


def test_sources_name_the_spec_of_every_operation() -> None:
    assert len(SOURCES) == 183
    counts = {s: list(SOURCES.values()).count(s) for s in set(SOURCES.values())}
    assert counts == {"both": 138, "official": 41, "apis.guru": 4}
    assert SOURCES[("POST", "/fulfillments.json")] == "official"
    assert SOURCES[("DELETE", "/jsapps/{code}.json")] == "both"  # = DELETE /jsapps/{id}.json
    assert SOURCES[("GET", "/partners/stores.json")] == "apis.guru"


# --------------------------------------------------------------------------- fulfillments


async def test_a_fulfillment_with_a_tracking_number_is_created_and_shows_on_its_order() -> None:
    fake = new_fake()
    order_id = next(o["id"] for o in fake.store.orders if o["status"] == "Paid")
    async with client_for(fake) as client:
        created = await client.fulfillments.post_fulfillments_json(
            body=FulfillmentCreate(
                fulfillment=FulfillmentCreateFields(
                    order_id=str(order_id),
                    tracking_number="TRK-42",
                    tracking_company="Starken",
                    tracking_url="https://track.example.com/TRK-42",
                )
            )
        )
        fulfillment = created.order_fulfillment
        assert fulfillment and fulfillment.tracking_number == "TRK-42"
        assert fulfillment.order_id == order_id
        assert fulfillment.shipment_status == "requested"
        assert isinstance(fulfillment.id, int)

        # Stored: it is listed for its order and the order carries the tracking.
        listed = await client.fulfillments.get_order_id_fulfillments_json(order_id)
        assert fulfillment.id in [f.order_fulfillment.id for f in listed if f.order_fulfillment]
        order = (await client.orders.get_orders_id_json(order_id)).order
        assert order and order.tracking_number == "TRK-42"
        assert order.tracking_url == "https://track.example.com/TRK-42"

        # Updated: the shipment status moves on, and so does the order's.
        updated = await client.fulfillments.put_fulfillments_id_json(
            fulfillment.id,
            body=FulfillmentEdit(fulfillment=FulfillmentEditFields(shipment_status="in_transit")),
        )
        assert (
            updated.order_fulfillment and updated.order_fulfillment.shipment_status == "in_transit"
        )
        order = (await client.orders.get_orders_id_json(order_id)).order
        assert order and order.shipment_status_enum == "in_transit"

        label = await client.fulfillments.get_fulfillments_id_label_json(fulfillment.id)
        assert label.url and label.url.endswith(f"/{fulfillment.id}.pdf")


async def test_an_unpaid_order_cannot_be_fulfilled_and_nothing_is_stored() -> None:
    fake = new_fake()
    unpaid = next(o["id"] for o in fake.store.orders if o["status"] == "Abandoned")
    before = len(fake.store.fulfillments)
    async with client_for(fake) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.fulfillments.post_fulfillments_json(
                body=FulfillmentCreate(fulfillment=FulfillmentCreateFields(order_id=str(unpaid)))
            )
    assert caught.value.status_code == 422
    assert len(fake.store.fulfillments) == before


# --------------------------------------------------------------------------- export


async def test_an_export_of_orders_shows_the_official_fields_typed(tmp_path: Path) -> None:
    fake = new_fake(orders=30)
    out = tmp_path / "orders.jsonl"
    async with client_for(fake) as client:
        result = await Exporter(client, "orders", out).run()
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert result.items == len(lines) == 30
    official_only = {
        "completed_at",
        "gift_cards_discount",
        "shipping_branch",
        "billing_information",
        "status_enum",
        "shipment_status_enum",
        "pickup_address",
        "same_day_delivery",
    }
    for line in lines:
        assert official_only <= set(line), sorted(official_only - set(line))
        parsed = OrderFields.from_dict(line)
        # Every key the export wrote is a declared field of the model, and nothing is lost.
        assert parsed.additional_properties == {}, sorted(parsed.additional_properties)
        assert parsed.to_dict() == line
    with_billing = [OrderFields.from_dict(line) for line in lines if line["billing_information"]]
    assert with_billing, "the seed has orders with billing information"
    assert type(with_billing[0].billing_information).__name__ == "BillingInformationFields"


# --------------------------------------------------------------------------- stateful writes


async def test_locations_are_created_read_changed_and_deleted() -> None:
    fake = new_fake()
    async with client_for(fake) as client:
        before = await client.pickup_locations.get_locations_json()
        created = await client.pickup_locations.post_locations_json(
            body=LocationCreateFields(name="Downtown", city="Santiago", pickup_point=True)
        )
        location = created.location
        assert location and location.name == "Downtown" and location.pickup_point is True
        assert location.location_address and location.location_address.city == "Santiago"
        assert isinstance(location.id, int)
        assert len(await client.pickup_locations.get_locations_json()) == len(before) + 1

        await client.pickup_locations.put_locations_id_json(
            location.id, body=LocationCreateFields(email="downtown@example.com")
        )
        (got,) = await client.pickup_locations.get_locations_id_json(location.id)
        assert got.location and got.location.email == "downtown@example.com"
        assert got.location.name == "Downtown"  # a partial update keeps the rest

        await client.pickup_locations.delete_locations_id_json(location.id)
        with pytest.raises(NotFoundError):
            await client.pickup_locations.get_locations_id_json(location.id)


async def test_order_documents_are_created_changed_listed_and_deleted() -> None:
    fake = new_fake()
    order_id = fake.store.orders.ids[5]
    async with client_for(fake) as client:
        created = await client.orders.post_orders_id_documents_json(
            order_id,
            body=Document(
                document=DocumentFields(
                    document_type=DocumentFieldsDocumentType.INVOICE,
                    url="https://example.com/F-9.pdf",
                    external_id="F-9",
                )
            ),
        )
        doc = created.document
        assert doc and doc.document_type is DocumentFieldsDocumentType.INVOICE
        assert doc.order_id == order_id and isinstance(doc.public_id, str)
        assert json.loads(json.dumps(doc.to_dict()))["document_type"] == 1

        changed = await client.orders.put_orders_id_documents_public_id_json(
            order_id, doc.public_id, body=DocumentFieldsToUpdate(external_id="F-9b")
        )
        assert changed.document and changed.document.external_id == "F-9b"
        everywhere = await client.documents.get_documents_json()
        assert any(d.document and d.document.public_id == doc.public_id for d in everywhere)

        await client.orders.delete_orders_id_documents_public_id_json(order_id, doc.public_id)
        assert await client.orders.get_orders_id_documents_json(order_id) == []


async def test_page_images_and_stock_per_location_are_stored() -> None:
    fake = new_fake()
    page_id = fake.store.pages.ids[1]
    async with client_for(fake) as client:
        image = await client.page_images.post_pages_id_images_json(
            page_id, body=PageImageEdit(image=PageImageEditFields(url="https://e.com/a.jpg"))
        )
        assert image.image and isinstance(image.image.id, int)
        count = await client.page_images.get_pages_id_images_count_json(page_id)
        assert count.count == 1

        location_id = fake.store.locations.ids[0]
        product_id = fake.store.products.ids[0]
        ids = {"location_ids": str(location_id), "product_ids": str(product_id)}
        first = (await client.products_locations.get_products_locations(**ids))[0]
        assert first.stock != 17
        await client.products_locations.put_products_locations(
            body=ProductsLocations(
                location_id=location_id,
                product_id=product_id,
                variant_id=first.variant_id,
                stock=17,
            )
        )
        rows = await client.products_locations.get_products_locations(**ids)
        assert [r.stock for r in rows if r.variant_id == first.variant_id] == [17]


async def test_store_setup_answers_new_credentials_not_the_callers() -> None:
    fake = new_fake()
    async with client_for(fake) as client:
        made = await client.stores.post_store_setup_json(
            body=StoreSetupCreate(store=StoreSetupCreateStore(name="Tienda Dos", country="CL"))
        )
    assert made.store and made.store.code == "tiendados"
    assert made.credentials and made.credentials.authtoken not in (None, UNSET, fake.authtoken)
    assert made.credentials.login != fake.login


# --------------------------------------------------------------------------- reads


async def test_order_search_filters_by_status_fulfillment_and_text() -> None:
    fake = new_fake(orders=40)
    orders = list(fake.store.orders)
    async with client_for(fake) as client:
        paid = await client.orders.get_orders_search_json(
            status_filters=GetOrdersSearchJsonStatusFilters.PAID, limit=100
        )
        ids = [o.order.id for o in paid.orders or [] if o and o.order]
        assert ids == [o["id"] for o in orders if o["status"] == "Paid"]

        unshipped = await client.orders.get_orders_search_json(
            status_filters=GetOrdersSearchJsonStatusFilters.PAID,
            fulfillment_filters="unfulfilled",
            limit=100,
        )
        expected = [
            o["id"]
            for o in orders
            if o["status"] == "Paid" and o["shipment_status_enum"] in (None, "unfulfilled")
        ]
        got = [o.order.id for o in unshipped.orders or [] if o and o.order]
        assert got == expected and 0 < len(got) < len(ids)

        email = orders[3]["customer"]["email"]
        found = await client.orders.get_orders_search_json(query=email, limit=100)
        assert orders[3]["id"] in [o.order.id for o in found.orders or [] if o and o.order]


async def test_a_customers_orders_and_carts_and_reviews() -> None:
    fake = new_fake(orders=40)
    customer_id = fake.store.orders.get(fake.store.orders.ids[0])["customer"]["id"]
    theirs = [o["id"] for o in fake.store.orders if o["customer"]["id"] == customer_id]
    async with client_for(fake) as client:
        listed = await client.customers.get_customers_id_orders_json(customer_id, limit=100)
        assert [o.order.id for o in listed if o and o.order] == theirs
        paid = await client.customers.get_customers_id_orders_status_status_json(
            customer_id, GetCustomersIdOrdersStatusStatusJsonStatus.PAID
        )
        assert all(o.order.status == "Paid" for o in paid if o and o.order)

        abandoned = next(o["id"] for o in fake.store.orders if o["status"] == "Abandoned")
        (cart,) = await client.cart.get_carts_id_json(abandoned)
        assert cart and cart.order and cart.order.status == "Abandoned"
        with pytest.raises(NotFoundError):
            await client.cart.get_carts_id_json(fake.store.orders.ids[0])  # a paid order

        reviews = await client.product_reviews.get_products_reviews_json()
        assert reviews and all(r and r.review and r.review.rating for r in reviews)
        first = reviews[0].review
        assert first and isinstance(first.product_id, int)
        mine = await client.product_reviews.get_products_id_reviews_json(first.product_id)
        assert first.id in [r.review.id for r in mine if r and r.review]
