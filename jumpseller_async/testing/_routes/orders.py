"""Orders: the resource, filters, creation, status changes, history, search and carts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import _seed
from .._http import HTTPError, Request, Response
from .._store import Record, Store, as_float, as_int, now_iso, now_order_time
from ._base import _fields, _id, _merge, _ok, _page_of, _paging, _wrap
from ._checks import _must_be, _number, _type_errors, _unprocessable
from ._resource import Resource

__all__ = [
    "ORDERS",
    "cart_get",
    "order_create",
    "order_history_create",
    "order_history_list",
    "order_update",
    "orders_after",
    "orders_search",
    "orders_status",
]


ORDERS = Resource("orders", "order", "Order")


_ORDER_STATUS_BY_KEY = {s.lower().replace(" ", "_"): s for s in _seed.ORDER_STATUSES}
_SHIPMENT_BY_KEY = dict(_seed.SHIPMENT_STATUSES)


def _status_key(raw: str) -> str:
    # "Pending Payment", "pending_payment", "pending-payment" and "Pending+Payment" all name
    # the same status: clients encode the space in the path every which way.
    return raw.strip().lower().replace("-", "_").replace(" ", "_").replace("+", "_")


def _order_status(raw: Any) -> str:
    status = _ORDER_STATUS_BY_KEY.get(_status_key(str(raw)))
    if status is None:
        raise HTTPError(404, f"Invalid status: {raw!r}")
    return status


def orders_status(req: Request) -> Response:
    page, limit = _paging(req)
    status = _order_status(req.params["status"])
    seeder = req.store.seeder
    ids = req.store.orders.filtered(
        ("status", status),
        lambda r: r.get("status") == status,
        lambda i: seeder.order_status(i) == status,
    )
    return _ok([ORDERS.out(req, r) for r in req.store.orders.page(page, limit, ids)])


def orders_after(req: Request) -> Response:
    page, limit = _paging(req)
    after = _id(req, "id", "Order")
    return _ok([ORDERS.out(req, r) for r in req.store.orders.after(after, page, limit)])


def _history_entry(store: Store, message: str) -> Record:
    return {"id": store.next_sub_id("order_history"), "message": message, "created_at": now_iso()}


def order_update(req: Request) -> Response:
    order_id, _ = ORDERS.find(req)
    changes = _fields(req, "order")
    status = _order_status(changes["status"]) if changes.get("status") else None
    shipment = None
    if changes.get("shipment_status"):
        shipment = _status_key(str(changes["shipment_status"]))
        if shipment not in _SHIPMENT_BY_KEY:
            raise HTTPError(422, f"Invalid shipment status: {changes['shipment_status']!r}")
    record = req.store.orders.materialize(order_id)
    assert record is not None
    allowed = {
        "additional_fields",
        "additional_information",
        "tracking_company",
        "tracking_number",
        "tracking_url",
    }
    _merge(record, {k: v for k, v in changes.items() if k in allowed})
    history = record.setdefault("_history", [])
    if status is not None and status != record.get("status"):
        record["status"] = status
        record["status_enum"] = _status_key(status)
        if status in ("Paid", "Canceled") and not record.get("completed_at"):
            record["completed_at"] = now_order_time()
        history.append(_history_entry(req.store, f"Status changed to {status}"))
    if shipment is not None and shipment != record.get("shipment_status_enum"):
        record["shipment_status_enum"] = shipment
        record["shipment_status"] = _SHIPMENT_BY_KEY[shipment]
        history.append(
            _history_entry(req.store, f"Shipment status changed to {_SHIPMENT_BY_KEY[shipment]}")
        )
    return _ok(ORDERS.out(req, record))


# Nested objects of the order create body: OrderProductOrderCreate in openapi.yaml, and
# the customer's fields this handler reads (the spec's customer declares id and addresses).
_ORDER_LINE_TYPES = {
    "id": "integer",
    "variant_id": "integer",
    "qty": "integer",
    "price": "number",
    "discount": "number",
}
_ORDER_CUSTOMER_TYPES = {
    "id": "integer",
    "email": "string",
    "phone": "string",
    "fullname": "string",
    "shipping_address": "object",
    "billing_address": "object",
}


def order_create(req: Request) -> Response:
    fields = _fields(req, "order")
    store = req.store
    seeder = store.seeder
    status = _order_status(fields.get("status") or "Pending Payment")
    lines_in = fields.get("products")
    if not isinstance(lines_in, list) or not lines_in:
        raise HTTPError(422, "An order needs at least one product")
    lines: list[Record] = []
    for i, entry in enumerate(lines_in):
        if not isinstance(entry, dict):
            raise _unprocessable({f"products[{i}]": [_must_be("object")]})
        errors = _type_errors(entry, _ORDER_LINE_TYPES, f"products[{i}].")
        if errors:
            raise _unprocessable(errors)
        product = store.products.get(as_int(entry.get("id")) or -1)
        if product is None:
            raise HTTPError(422, f"Product {entry.get('id')!r} not found")
        variant_id = as_int(entry.get("variant_id"))
        variant = None
        if variant_id is not None:
            variant = next(
                (v for v in product.get("variants", []) if v.get("id") == variant_id), None
            )
            if variant is None:
                raise HTTPError(422, f"Variant {variant_id} not found")
        price = entry.get("price")
        if price is None or price == "":
            price = as_float((variant or product).get("price")) or 0.0
        lines.append(
            {
                "id": product["id"],
                "variant_id": variant_id,
                "sku": (variant or product).get("sku"),
                "name": product.get("name"),
                "image": (product.get("images") or [{}])[0].get("url"),
                "qty": as_int(entry.get("qty")) or 1,
                "price": float(price),
                "discount": _number(entry.get("discount"), f"products[{i}].discount"),
                "weight": product.get("weight"),
                "taxes": [],
                "stock_locations": [],
            }
        )
    customer_in = fields.get("customer") if isinstance(fields.get("customer"), dict) else {}
    assert isinstance(customer_in, dict)
    errors = _type_errors(customer_in, _ORDER_CUSTOMER_TYPES, "customer.")
    if errors:
        raise _unprocessable(errors)
    customer_rec = None
    if customer_in.get("id") is not None:
        customer_rec = store.customers.get(as_int(customer_in["id"]) or -1)
        if customer_rec is None:
            raise HTTPError(422, f"Customer {customer_in['id']!r} not found")
    elif customer_in.get("email"):
        customer_rec = store.customer_by_email(str(customer_in["email"]))
    customer = {
        "id": customer_rec["id"] if customer_rec else None,
        "email": (customer_rec or customer_in).get("email"),
        "phone": (customer_rec or customer_in).get("phone"),
        "phone_prefix": None,
        "ip": None,
        "fullname": (customer_rec or customer_in).get("fullname"),
    }
    shipping_method = None
    if fields.get("shipping_method_id") is not None:
        shipping_method = store.shipping_methods.get(as_int(fields["shipping_method_id"]) or -1)
        if shipping_method is None:
            raise HTTPError(422, "Shipping method not found")
    shipping = _number(fields.get("shipping_price"), "shipping_price")
    subtotal = round(sum(line["price"] * line["qty"] for line in lines), 2)
    discount = round(sum(line["discount"] for line in lines), 2)
    now = now_order_time()
    order_id = store.orders.new_id()
    record: Record = {
        "id": order_id,
        "source": {
            "created_from": "api",
            "created_from_app_code": None,
            "source_name": None,
            "medium": None,
            "campaign": None,
            "referral_url": None,
            "referral_code": None,
            "user_agent": None,
            "first_page_visited": None,
            "first_page_visited_at": None,
            "referral_source": None,
        },
        "created_at": now,
        "completed_at": now if status in ("Paid", "Canceled") else None,
        "currency": store.info["currency"],
        "subtotal": subtotal,
        "tax": 0.0,
        "shipping_tax": 0.0,
        "shipping": shipping,
        "shipping_required": True,
        "total": round(subtotal - discount + shipping, 2),
        "discount": discount,
        "shipping_discount": 0.0,
        "gift_cards_discount": 0.0,
        "shipping_method_id": shipping_method["id"] if shipping_method else None,
        "shipping_service_id": None,
        "shipping_method_name": shipping_method["name"]
        if shipping_method
        else fields.get("shipping_method_name"),
        "payment_method_name": None,
        "payment_method_type": None,
        "payment_information": None,
        "payment_notification_id": None,
        "additional_information": None,
        "duplicate_url": f"{seeder.base_url}/admin/en/orders/{order_id}/duplicate",
        "recovery_url": None,
        "review_url": None,
        "checkout_url": None,
        "coupons": None,
        "promotions": [],
        "customer": customer,
        "shipping_branch": None,
        "shipping_address": customer_in.get("shipping_address")
        or (customer_rec or {}).get("shipping_address"),
        "billing_address": customer_in.get("billing_address")
        or (customer_rec or {}).get("billing_address"),
        "pickup_address": None,
        "products": lines,
        "additional_fields": [],
        "shipping_taxes": [],
        "status": status,
        "status_enum": _status_key(status),
        "tracking_url": None,
        "tracking_company": None,
        "tracking_number": None,
        "shipping_option": "delivery",
        "same_day_delivery": False,
        "shipment_status": None,
        "shipment_status_enum": None,
        "recovered_from": None,
        "external_shipping_rate_id": None,
        "external_shipping_rate_description": None,
        "billing_information": None,
        "_history": [_history_entry(store, "Order created")],
    }
    store.orders.insert(record, item_id=order_id)
    return _ok(ORDERS.out(req, record), req.create_status)


def _order(req: Request, *, write: bool = False) -> Record:
    order_id = _id(req, "id", "Order")
    orders = req.store.orders
    record = orders.materialize(order_id) if write else orders.get(order_id)
    if record is None:
        raise HTTPError(404, "Order not found")
    return record


def order_history_list(req: Request) -> Response:
    return _ok([_wrap("order_history", dict(h)) for h in _order(req).get("_history", [])])


def order_history_create(req: Request) -> Response:
    _order(req)
    fields = _fields(req, "order_history")
    if not fields.get("message"):
        raise HTTPError(422, "Message can't be blank")
    order = _order(req, write=True)
    entry = _history_entry(req.store, str(fields["message"]))
    order.setdefault("_history", []).append(entry)
    return _ok(_wrap("order_history", dict(entry)), req.create_status)


_SEARCH_STATUS = {
    "paid": "Paid",
    "pending_payment": "Pending Payment",
    "canceled": "Canceled",
    "abandoned": "Abandoned",
}
_DATE_WINDOWS = {"today": 0, "yesterday": 1, "last7days": 7, "last30days": 30, "last90days": 90}


def _order_matches_query(record: Record, words: list[str]) -> bool:
    raw = record.get("customer")
    customer: Record = raw if isinstance(raw, dict) else {}
    text = " ".join(
        str(v)
        for v in (
            record.get("id"),
            customer.get("email"),
            customer.get("fullname"),
            customer.get("phone"),
            record.get("tracking_number"),
            record.get("coupons"),
        )
        if v is not None
    ).lower()
    return all(word in text for word in words)


def _date_window(req: Request) -> tuple[str, str] | None:
    kind = req.arg("dateFilter")
    if not kind:
        return None
    if kind == "customDate":
        first, last = req.arg("initialDate"), req.arg("finalDate")
        if not first or not last:
            raise HTTPError(400, "customDate needs initialDate and finalDate (YYYY-MM-DD)")
        return first[:10], last[:10]
    if kind not in _DATE_WINDOWS:
        raise HTTPError(400, f"unknown dateFilter {kind!r}")
    today = dt.datetime.now(dt.timezone.utc).date()
    start = today - dt.timedelta(days=_DATE_WINDOWS[kind])
    end = start if kind == "yesterday" else today
    return start.isoformat(), end.isoformat()


def orders_search(req: Request) -> Response:
    words = (req.arg("query") or "").lower().split()
    status_key = req.arg("status_filters[]")
    status = None
    if status_key:
        if status_key == "created":
            status = "Pending Payment"  # a created order waits for its payment
        elif status_key in _SEARCH_STATUS:
            status = _SEARCH_STATUS[status_key]
        else:
            raise HTTPError(400, f"unknown status filter {status_key!r}")
    wanted = {part.strip() for part in (req.arg("fulfillment_filters") or "").split(",")} - {""}
    if wanted - {"fulfilled", "unfulfilled"}:
        raise HTTPError(400, f"unknown fulfillment filter {sorted(wanted)!r}")
    # Both values (or none) select every order.
    fulfillment = wanted.pop() if len(wanted) == 1 else None
    window = _date_window(req)
    found = []
    for record in req.store.orders:
        if status is not None and record.get("status") != status:
            continue
        if fulfillment:
            shipped = record.get("shipment_status_enum") not in (None, "unfulfilled")
            if shipped != (fulfillment == "fulfilled"):
                continue
        if window is not None:
            created = str(record.get("created_at") or "")[:10]
            if not window[0] <= created <= window[1]:
                continue
        if words and not _order_matches_query(record, words):
            continue
        found.append(record)
    return _ok({"orders": [ORDERS.out(req, r) for r in _page_of(req, found)]})


def cart_get(req: Request) -> Response:
    """A cart is an order nobody paid for yet (status Abandoned); the answer is a list."""
    order = _order(req)
    if order.get("status") != "Abandoned":
        raise HTTPError(404, "Cart not found")
    return _ok([ORDERS.out(req, order)])
