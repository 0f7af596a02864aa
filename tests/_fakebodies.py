"""Valid request bodies for every create/update route of the fake Jumpseller (shared by tests)."""

from __future__ import annotations

from typing import Any

from jumpseller_async.testing import FakeJumpseller
from jumpseller_async.testing._routes.apps import STORE_ID

Json = Any


def official_route_values(
    fake: FakeJumpseller, path: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(path values, query) naming existing items, for the operations only the official spec
    has; None for the others."""
    store = fake.store
    parts = path.split("/")
    top = parts[1]
    query: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if top == "apps":
        values = {"code": "reviews-widget"}
        query = {"store_id": STORE_ID} if "store_id" in path else {"date": "2024-03-15"}
    elif top == "carts":
        abandoned = next(o for o in store.orders if o["status"] == "Abandoned")
        values = {"id": abandoned["id"]}
    elif path.endswith("/municipalities.json"):
        values = {"country_code": "CL", "region_code": "RM"}
    elif top == "customer_categories" and "{customer_id}" in path:
        customer = next(c for c in store.customers if c["_category_ids"])
        values = {"id": customer["_category_ids"][0], "customer_id": customer["id"]}
    elif top == "customers" and ("search" in path or "/orders" in path):
        values = {"id": store.customers.ids[0], "status": "Paid"}
        query = {"query": "a"} if "search" in path else {}
    elif top == "documents":
        pass
    elif top == "fulfillments" and path != "/fulfillments.json" and "rates" not in path:
        shipped = next(f for f in store.fulfillments if f["tracking_number"])
        values = {"id": shipped["id"]}
    elif top == "locations":
        values = {"id": store.locations.ids[0]}
    elif top == "orders" and ("search" in path or "documents" in path):
        order_id = next(iter(store.order_documents))
        docs = store.order_documents[order_id]
        values = {"id": order_id, "public_id": docs[0]["public_id"] if docs else "none"}
        query = {"query": "a"} if "search" in path else {}
    elif top == "pages" and "/images" in path:
        page_id = next(iter(store.page_images))
        images = store.page_images[page_id]
        values = {"id": page_id, "image_id": images[0]["id"] if images else 0}
    elif top == "products" and ("reviews" in path or "{product_id}/images" in path):
        review = store.reviews.get(store.reviews.ids[0])
        assert review is not None
        product = next(p for p in store.products if p["images"])
        values = {
            "id": review["product_id"],
            "review_id": review["id"],
            "product_id": product["id"],
            "image_id": product["images"][-1]["id"],
        }
        query = {"position": 0} if "images" in path else {}
    elif top == "products_locations":
        query = {
            "location_ids": ",".join(str(i) for i in store.locations.ids),
            "product_ids": ",".join(str(i) for i in store.products.ids[:3]),
        }
    elif path in ("/payment_methods.json", "/store/setup.json", "/transaction_ledger/balance.json"):
        pass
    else:
        return None
    return values, query


def valid_body(fake: FakeJumpseller, path: str) -> Json:
    store = fake.store
    customer_id = store.customers.ids[1]
    bodies: dict[str, Json] = {
        "/categories.json": {"category": {"name": "New category"}},
        "/categories/{id}.json": {"category": {"name": "Renamed"}},
        "/checkout_custom_fields.json": {
            "checkout_custom_field": {"label": "Delivery day", "type": "date", "area": "other"}
        },
        "/checkout_custom_fields/{id}.json": {"checkout_custom_field": {"required": True}},
        "/custom_fields.json": {"custom_field": {"label": "Origin", "type": "text"}},
        "/custom_fields/{id}.json": {"custom_field": {"label": "Origin country"}},
        "/custom_fields/{id}/select_options.json": {
            "custom_field_select_option": {"value": "Oversized"}
        },
        "/custom_fields/{id}/select_options/{custom_field_select_option_id}.json": {
            "custom_field_select_option": {"value": "Skinny"}
        },
        "/customer_categories.json": {"category": {"name": "Resellers"}},
        "/customer_categories/{id}.json": {"category": {"name": "Premium"}},
        "/customer_categories/{id}/customers.json": {"customers": [{"id": customer_id}]},
        "/customers.json": {"customer": {"email": "new.buyer@example.com", "password": "secret"}},
        "/customers/{id}.json": {"customer": {"phone": "912345678"}},
        "/customers/{id}/fields": {
            "customer_additional_field": {"checkout_custom_field_id": 3002, "value": "Ring twice"}
        },
        "/customers/{id}/fields/{field_id}": {"customer_additional_field": {"value": "11111111-1"}},
        "/hooks.json": {"hook": {"event": "order_paid", "url": "https://example.com/paid"}},
        "/hooks/{id}.json": {"hook": {"url": "https://example.com/changed"}},
        "/jsapps.json": {
            "app": {"url": "https://example.com/a.js", "template": "layout", "element": "body"}
        },
        "/orders.json": {
            "order": {
                "status": "Paid",
                "products": [{"id": store.products.ids[0], "qty": 2}],
                "customer": {"id": customer_id},
            }
        },
        "/orders/{id}.json": {"order": {"status": "Canceled"}},
        "/orders/{id}/history.json": {"order_history": {"message": "Called the customer"}},
        "/pages.json": {"page": {"title": "Returns"}},
        "/pages/{id}.json": {"page": {"status": "draft"}},
        "/products.json": {"product": {"name": "Linen Shirt", "price": 30.0}},
        "/products/{id}.json": {"product": {"price": 12.5}},
        "/products/{id}/attachments.json": {
            "attachment": {"url": "https://example.com/manual.pdf"}
        },
        "/products/{id}/digital_products.json": {
            "digital_product": {"url": "https://example.com/book.pdf"}
        },
        "/products/{id}/fields.json": {"field": {"id": 4001, "value": "Wool"}},
        "/products/{product_id}/fields/{field_id}.json": {"field": {"value": "Silk"}},
        "/products/{id}/images.json": {"image": {"url": "https://example.com/front.jpg"}},
        "/products/{id}/options.json": {"option": {"name": "Engraving", "option_type": "input"}},
        "/products/{id}/options/{option_id}.json": {"option": {"name": "Talla"}},
        "/products/{id}/options/{option_id}/values.json": {"value": {"name": "5XL"}},
        "/products/{id}/options/{option_id}/values/{value_id}.json": {"value": {"name": "Tiny"}},
        "/products/{id}/variants.json": {"variant": {"price": 9.99, "sku": "NEW-1", "stock": 3}},
        "/products/{id}/variants/{variant_id}.json": {"variant": {"stock": 7}},
        "/promotions.json": {"promotion": {"name": "Summer", "code": "SUMMER"}},
        "/promotions/{id}.json": {"promotion": {"enabled": False}},
        "/shipping_methods.json": {"shipping_method": {"name": "Courier"}},
        "/shipping_methods/{id}.json": {"shipping_method": {"enabled": False}},
        "/store/create.json": {
            "store_name": "Tienda Nueva",
            "email": "owner@example.com",
            "password": "pw",
        },
        "/taxes.json": {"tax": {"name": "Luxury", "tax": 5.0, "country": "CL"}},
        # Only in the official spec:
        "/fulfillments.json": {
            "fulfillment": {
                "order_id": str(store.orders.ids[0]),
                "tracking_number": "TRK-0001",
                "tracking_company": "Starken",
                "shipment_status": "in_transit",
            }
        },
        "/fulfillments/{id}.json": {"fulfillment": {"shipment_status": "delivered"}},
        "/fulfillments/rates.json": {
            "rates": {
                "order_id": str(store.orders.ids[0]),
                "packages_dimensions": [{"length": 30, "width": 20, "height": 10, "weight": 2.5}],
            }
        },
        "/locations.json": {"name": "Downtown store", "city": "Santiago", "pickup_point": True},
        "/locations/{id}.json": {"email": "downtown@example.com"},
        "/orders/{id}/documents.json": {
            "document": {"document_type": 1, "url": "https://example.com/F-2.pdf"}
        },
        "/orders/{id}/documents/{public_id}.json": {"external_id": "F-2b"},
        "/pages/{id}/images.json": {"image": {"url": "https://example.com/banner.jpg"}},
        "/pages/{id}/images/{image_id}.json": {"image": {"url": "https://example.com/new.jpg"}},
        "/payment_methods.json": {"payment_method": {"name": "Gift card gateway"}},
        "/products_locations": {
            "location_id": store.locations.ids[0],
            "product_id": store.products.ids[0],
            "stock": 12,
        },
        "/store/setup.json": {"store": {"name": "Tienda Dos", "country": "CL"}},
    }
    return bodies[path]
