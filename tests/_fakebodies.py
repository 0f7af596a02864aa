"""Valid request bodies for every create/update route of the fake Jumpseller (shared by tests)."""

from __future__ import annotations

from typing import Any

from jumpseller_async.testing import FakeJumpseller

Json = Any


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
    }
    return bodies[path]
