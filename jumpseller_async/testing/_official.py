"""The 41 operations only Jumpseller's official spec documents, served from the Store.

Fulfillments can be created and changed (tracking included, mirrored on their order),
locations, order documents and page images are stored; the rest (reviews, paid-app billing,
carts, searches, balances) are read from the seeded store.
"""

from __future__ import annotations

import calendar
import datetime as dt
import secrets
from typing import Any

from ._http import Handler, HTTPError, Request, Response
from ._routes import (
    CUSTOMERS,
    FULFILLMENTS,
    ORDERS,
    PAYMENT_METHODS,
    Resource,
    _clean,
    _count,
    _country,
    _customer,
    _customer_category_id,
    _deleted,
    _expect,
    _fields,
    _id,
    _merge,
    _ok,
    _order,
    _order_status,
    _paging,
    _product,
    _wrap,
)
from ._store import Record, Store, as_int, now_iso, public, stamp

__all__ = ["OFFICIAL_TABLE", "STORE_ID"]

STORE_ID = 424_242
"""The fake store's numeric id (paid-app install status answers carry it)."""


def _page_of(req: Request, items: list[Any]) -> list[Any]:
    page, limit = _paging(req)
    start = (page - 1) * limit
    return items[start : start + limit]


# ---------------------------------------------------------------------------------------
# paid apps: install status and billing cycles
# ---------------------------------------------------------------------------------------


def _paid_app(req: Request) -> Record:
    code = req.params["code"]
    for app in req.store.apps:
        if app.get("code") == code:
            return app
    raise HTTPError(404, "App not found")


def _install_status(req: Request, store_id: int) -> Record:
    app = _paid_app(req)
    installed = store_id == STORE_ID
    return {
        "app_code": app["code"],
        "store_id": store_id,
        "installed": installed,
        "subscription_plan": "pro" if installed else None,
        "subscription_status": "active" if installed else None,
        "code": req.store.info.get("code") if installed else None,
    }


def app_install_status(req: Request) -> Response:
    return _ok(_install_status(req, STORE_ID))


def app_install_status_by_store(req: Request) -> Response:
    store_id = as_int(req.arg("store_id"))
    if store_id is None:
        raise HTTPError(400, "store_id must be an integer")
    return _ok(_install_status(req, store_id))


def _cycle(req: Request) -> tuple[dt.date, dt.date]:
    """The billing cycle (a calendar month) holding ``?date=`` (default: today, UTC)."""
    raw = req.arg("date")
    if raw:
        try:
            day = dt.date.fromisoformat(raw[:10])
        except ValueError:
            raise HTTPError(400, "date must be a date (YYYY-MM-DD)") from None
    else:
        day = dt.datetime.now(dt.timezone.utc).date()
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def app_billing_cycle_dates(req: Request) -> Response:
    _paid_app(req)
    start, end = _cycle(req)
    return _ok({"billing_start": start.isoformat(), "billing_end": end.isoformat()})


def _orders_in(req: Request, start: dt.date, end: dt.date) -> list[Record]:
    found = []
    for record in req.store.orders:
        created = str(record.get("created_at") or "")[:10]
        if start.isoformat() <= created <= end.isoformat():
            found.append(record)
    return found


def app_billing_cycle_orders(req: Request) -> Response:
    _paid_app(req)
    start, end = _cycle(req)
    orders = _orders_in(req, start, end)
    return _ok(
        {
            "billable_orders": [ORDERS.out(req, r) for r in orders if r.get("status") == "Paid"],
            "free_orders": [ORDERS.out(req, r) for r in orders if r.get("status") != "Paid"],
        }
    )


def app_check_billing_cycle_order(req: Request) -> Response:
    _paid_app(req)
    start, end = _cycle(req)
    today = dt.datetime.now(dt.timezone.utc).date()
    return _ok(
        {"billing_start": start.isoformat(), "billing_end": end.isoformat(), "paid": end < today}
    )


# ---------------------------------------------------------------------------------------
# product reviews, image position
# ---------------------------------------------------------------------------------------


def _review_out(record: Record) -> Record:
    return _wrap("review", public(record))


def reviews_list(req: Request) -> Response:
    page, limit = _paging(req)
    return _ok([_review_out(r) for r in req.store.reviews.page(page, limit)])


def product_reviews_list(req: Request) -> Response:
    product_id = int(_product(req)["id"])
    mine = [r for r in req.store.reviews if r.get("product_id") == product_id]
    return _ok([_review_out(r) for r in _page_of(req, mine)])


def review_get(req: Request) -> Response:
    record = req.store.reviews.get(_id(req, "review_id", "Review"))
    if record is None:
        raise HTTPError(404, "Review not found")
    return _ok(_review_out(record))


def product_image_move(req: Request) -> Response:
    """PUT ...images/{image_id}.json?position=N: the image moves, the others close ranks."""
    position = as_int(req.arg("position"))
    if position is None or position < 0:
        raise HTTPError(400, "position must be an integer >= 0")
    image_id = as_int(req.params.get("image_id"))
    if not any(i.get("id") == image_id for i in _product(req, "product_id").get("images", [])):
        raise HTTPError(404, "Image not found")
    product = _product(req, "product_id", write=True)
    images = list(product.get("images", []))
    moving = next(i for i in images if i.get("id") == image_id)
    images.remove(moving)
    images.insert(min(position, len(images)), moving)
    for n, image in enumerate(images):
        image["position"] = n
    product["images"] = images
    stamp(product, "updated_at")
    return _ok(_wrap("image", public(moving)))


# ---------------------------------------------------------------------------------------
# orders: search, documents, carts; customers' orders and search
# ---------------------------------------------------------------------------------------

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


def _document_out(order_id: int, record: Record) -> Record:
    return _wrap("document", {**public(record), "order_id": order_id})


_DOCUMENT_TYPES = {"document_type": "integer", "external_id": "string", "url": "string"}


def _document_fields(req: Request) -> Record:
    body = req.body
    if isinstance(body, dict) and isinstance(body.get("document"), dict):
        fields: Record = _clean(body["document"])
    elif isinstance(body, dict):
        fields = _clean(body)
    else:
        raise HTTPError(400, "Missing parameter: expected a JSON object under 'document'")
    for name, kind in _DOCUMENT_TYPES.items():
        if name in fields:
            _expect(fields[name], kind, name)
    if fields.get("document_type") not in (None, 0, 1):
        raise HTTPError(422, "document_type must be 0 (credit note) or 1 (invoice)")
    return fields


def order_documents_list(req: Request) -> Response:
    order_id = int(_order(req)["id"])
    docs = req.store.order_documents.get(order_id, [])
    return _ok([_document_out(order_id, d) for d in docs])


def order_document_create(req: Request) -> Response:
    order_id = int(_order(req)["id"])
    fields = _document_fields(req)
    if not fields.get("url"):
        raise HTTPError(422, "Url can't be blank")
    record = {
        "document_type": fields.get("document_type"),
        "external_id": fields.get("external_id"),
        "public_id": f"doc-{req.store.next_sub_id('document')}",
        "url": fields["url"],
        "app_code": fields.get("app_code"),
    }
    req.store.order_documents.setdefault(order_id, []).append(record)
    return _ok(_document_out(order_id, record), req.create_status)


def _document(req: Request) -> tuple[int, Record]:
    order_id = int(_order(req)["id"])
    public_id = req.params["public_id"]
    for record in req.store.order_documents.get(order_id, []):
        if record.get("public_id") == public_id:
            return order_id, record
    raise HTTPError(404, "Document not found")


def order_document_update(req: Request) -> Response:
    order_id, record = _document(req)
    fields = _document_fields(req)
    fields.pop("public_id", None)  # the id names the document; it does not change
    for key in ("document_type", "external_id", "url"):
        if key in fields:
            record[key] = fields[key]
    return _ok(_document_out(order_id, record))


def order_document_delete(req: Request) -> Response:
    order_id, record = _document(req)
    req.store.order_documents[order_id].remove(record)
    return _deleted("Document")


def documents_list(req: Request) -> Response:
    every = [
        _document_out(order_id, d)
        for order_id in sorted(req.store.order_documents)
        for d in req.store.order_documents[order_id]
    ]
    return _ok(_page_of(req, every))


def cart_get(req: Request) -> Response:
    """A cart is an order nobody paid for yet (status Abandoned); the answer is a list."""
    order = _order(req)
    if order.get("status") != "Abandoned":
        raise HTTPError(404, "Cart not found")
    return _ok([ORDERS.out(req, order)])


def _orders_of_customer(req: Request, status: str | None = None) -> list[Record]:
    customer_id = int(_customer(req)["id"])
    store = req.store
    seeder = store.seeder
    has_customers = seeder.n_customers > 0

    def seeded(index: int) -> bool:
        return (
            has_customers
            and seeder.customer_id(seeder.order_customer_index(index)) == customer_id
            and (status is None or seeder.order_status(index) == status)
        )

    def stored(record: Record) -> bool:
        customer = record.get("customer")
        return (
            isinstance(customer, dict)
            and customer.get("id") == customer_id
            and (status is None or record.get("status") == status)
        )

    ids = store.orders.filtered(("customer", customer_id, status), stored, seeded)
    page, limit = _paging(req)
    return store.orders.page(page, limit, ids)


def customer_orders(req: Request) -> Response:
    return _ok([ORDERS.out(req, r) for r in _orders_of_customer(req)])


def customer_orders_status(req: Request) -> Response:
    status = _order_status(req.params["status"])
    return _ok([ORDERS.out(req, r) for r in _orders_of_customer(req, status)])


_CUSTOMER_SEARCH_FIELDS = ("email", "fullname", "name", "surname", "phone")


def _customer_text(record: Record) -> str:
    return " ".join(str(record.get(k) or "") for k in _CUSTOMER_SEARCH_FIELDS).lower()


def customers_search(req: Request) -> Response:
    words = (req.arg("query") or "").lower().split()
    if not words:
        raise HTTPError(400, "query can't be blank")
    found = [r for r in req.store.customers if all(w in _customer_text(r) for w in words)]
    if (req.arg("order") or "").lower() == "desc":
        found.reverse()
    return _ok([CUSTOMERS.out(req, r) for r in _page_of(req, found)])


def category_customer_remove(req: Request) -> Response:
    category_id = _customer_category_id(req)
    customer_id = _id(req, "customer_id", "Customer")
    if customer_id not in req.store.customers:
        raise HTTPError(404, "Customer not found")
    customer = req.store.customers.materialize(customer_id)
    assert customer is not None
    ids = list(customer.get("_category_ids", ()))
    if category_id in ids:
        ids.remove(category_id)
        customer["_category_ids"] = ids
        req.store.customers.touch()
    return _ok({"message": "Customer removed from the category"})


# ---------------------------------------------------------------------------------------
# fulfillments: create (tracking), update, rates, label
# ---------------------------------------------------------------------------------------

_TRACKING_KEYS = ("tracking_number", "tracking_company", "tracking_url")
_FULFILLMENT_KEYS = (
    "type",
    "shipment_status",
    "external_id",
    "service_type",
    "expected_arrival_from",
    "expected_arrival_to",
    *_TRACKING_KEYS,
)
_SHIPMENT_LABELS = {
    "requested": "Requested",
    "in_transit": "In Transit",
    "delivered": "Delivered",
    "failed": "Failed",
}


def _mirror_on_order(store: Store, record: Record) -> None:
    """The order shows its latest fulfillment's tracking and shipment status."""
    order = store.orders.materialize(int(record["order_id"]))
    if order is None:
        return
    for key in _TRACKING_KEYS:
        if record.get(key) is not None:
            order[key] = record[key]
    shipment = record.get("shipment_status")
    if isinstance(shipment, str):
        order["shipment_status_enum"] = shipment
        order["shipment_status"] = _SHIPMENT_LABELS.get(shipment, shipment)
    store.orders.touch()


def _fulfillment_address(fields: Record) -> Record | None:
    address = fields.get("shipping_address")
    if not isinstance(address, dict):
        return None
    keys = ("name", "surname", "address", "city", "postal", "municipality", "region", "country")
    return {"address": {k: address.get(k) for k in keys}}


def fulfillment_create(req: Request) -> Response:
    fields = _fields(req, "fulfillment", "order_fulfillment")
    order_id = as_int(fields.get("order_id"))
    if order_id is None:
        raise HTTPError(422, "order_id can't be blank")
    order = req.store.orders.get(order_id)
    if order is None:
        raise HTTPError(404, "Order not found")
    if order.get("status") != "Paid":
        raise HTTPError(422, "Only paid orders can be fulfilled")
    now = now_iso()
    record: Record = {
        "created_at": now,
        "updated_at": now,
        "tracking_number": None,
        "tracking_company": None,
        "tracking_url": None,
        "type": "manual",
        "shipment_status": "requested",
        "label_url": None,
        "expected_arrival_from": None,
        "expected_arrival_to": None,
        "external_id": None,
        "service_type": None,
        "fulfillment_address": _fulfillment_address(fields),
        "order_id": order_id,
    }
    _merge(record, {k: fields[k] for k in _FULFILLMENT_KEYS if k in fields})
    record = req.store.fulfillments.insert(record)
    _mirror_on_order(req.store, record)
    return _ok(FULFILLMENTS.out(req, record), req.create_status)


def fulfillment_update(req: Request) -> Response:
    item_id, _ = FULFILLMENTS.find(req)
    fields = _fields(req, "fulfillment", "order_fulfillment")
    record = req.store.fulfillments.materialize(item_id)
    assert record is not None
    _merge(record, {k: fields[k] for k in _FULFILLMENT_KEYS if k in fields})
    stamp(record, "updated_at")
    req.store.fulfillments.touch()
    _mirror_on_order(req.store, record)
    return _ok(FULFILLMENTS.out(req, record))


_RATE_SERVICES = (("standard", "Standard", 1.0), ("express", "Express", 1.8))


def fulfillment_rates(req: Request) -> Response:
    fields = _fields(req, "rates")
    packages = fields.get("packages_dimensions") or []
    if not isinstance(packages, list):
        raise HTTPError(422, "packages_dimensions must be an array")
    weight = 0.0
    for package in packages:
        if isinstance(package, dict) and isinstance(package.get("weight"), (int, float)):
            weight += float(package["weight"])
    base = 3000.0 + 500.0 * max(weight, 1.0)
    company = (req.store.seeder.locale.couriers or ("Courier",))[0]
    return _ok(
        [
            {
                "fulfillment_company": company,
                "service_label": label,
                "service_type": code,
                "amount": round(base * factor, 2),
            }
            for code, label, factor in _RATE_SERVICES
        ]
    )


def fulfillment_label(req: Request) -> Response:
    item_id, record = FULFILLMENTS.find(req)
    if not record.get("tracking_number"):
        # Nothing shipped yet, so no label to print (the official spec's 400 example).
        raise HTTPError(400, "Invalid Label.", {"error": "Invalid Label."})
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    return _ok(
        {
            "url": f"https://labels.example.com/{req.store.info.get('code')}/{item_id}.pdf",
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


# ---------------------------------------------------------------------------------------
# page images
# ---------------------------------------------------------------------------------------


def _page_id(req: Request) -> int:
    page_id = _id(req, "id", "Page")
    if page_id not in req.store.pages:
        raise HTTPError(404, "Page not found")
    return page_id


def _page_image(req: Request) -> tuple[list[Record], Record]:
    images = req.store.page_images.get(_page_id(req), [])
    image_id = as_int(req.params.get("image_id"))
    for image in images:
        if image.get("id") == image_id:
            return images, image
    raise HTTPError(404, "Image not found")


def _image_url(req: Request) -> str:
    fields = _fields(req, "image")
    url = fields.get("url")
    if not url:
        raise HTTPError(422, "Url can't be blank")
    _expect(url, "string", "url")
    return str(url)


def page_images_list(req: Request) -> Response:
    images = req.store.page_images.get(_page_id(req), [])
    return _ok([_wrap("image", dict(i)) for i in images])


def page_images_count(req: Request) -> Response:
    return _count(len(req.store.page_images.get(_page_id(req), [])))


def page_image_get(req: Request) -> Response:
    return _ok(_wrap("image", dict(_page_image(req)[1])))


def page_image_create(req: Request) -> Response:
    page_id = _page_id(req)
    image = {"id": req.store.next_sub_id("page_image"), "url": _image_url(req)}
    req.store.page_images.setdefault(page_id, []).append(image)
    return _ok(_wrap("image", dict(image)), req.create_status)


def page_image_update(req: Request) -> Response:
    _, image = _page_image(req)
    image["url"] = _image_url(req)
    return _ok(_wrap("image", dict(image)))


def page_image_delete(req: Request) -> Response:
    images, image = _page_image(req)
    images.remove(image)
    return _deleted("Image")


# ---------------------------------------------------------------------------------------
# locations, stock per location
# ---------------------------------------------------------------------------------------

_ADDRESS_KEYS = ("address", "city", "postal", "country")


def _location_render(store: Store, record: Record) -> Record:
    return public(record)


def _location_prepare(store: Store, record: Record, changes: Record, creating: bool) -> None:
    # The body is flat (official LocationCreateFields); the address keys live in the answer's
    # location_address, "Region" (so spelled) as its region.
    address = dict(record.get("location_address") or {})
    for key in (*_ADDRESS_KEYS, "Region", "region"):
        if key in record:
            address["region" if key == "Region" else key] = record.pop(key)
    record["location_address"] = address
    if creating and not record.get("name"):
        raise HTTPError(422, "Name can't be blank")
    if record.get("main") is True:
        for other in store.locations.materialized():
            if other is not record and other.get("main"):
                other["main"] = False


def _location_defaults(store: Store) -> Record:
    return {
        "name": None,
        "email": None,
        "active": True,
        "main": False,
        "pickup_point": False,
        "is_stock_origin": True,
        "location_address": {},
    }


class _Locations(Resource):
    """Locations take a flat body (``{"name": ...}``) or one wrapped in ``location``."""

    def __init__(self) -> None:
        super().__init__(
            "locations",
            "location",
            "Location",
            render=_location_render,
            prepare=_location_prepare,
            defaults=_location_defaults,
        )

    def create(self, req: Request) -> Response:
        return super().create(_wrapped(req, "location"))

    def update(self, req: Request) -> Response:
        return super().update(_wrapped(req, "location"))

    def get(self, req: Request) -> Response:
        # The official spec answers a one-item list here.
        return _ok([self.out(req, self.find(req)[1])])


def _wrapped(req: Request, wrapper: str) -> Request:
    body = req.body
    if isinstance(body, dict) and wrapper not in body:
        req.body = {wrapper: body}
    return req


LOCATIONS = _Locations()


def _ids_arg(req: Request, name: str, *, required: bool) -> list[int] | None:
    raw = req.arg(name)
    if not raw:
        if required:
            raise HTTPError(400, f"{name} can't be blank")
        return None
    ids = [as_int(part) for part in raw.split(",") if part.strip()]
    if any(i is None for i in ids) or len(ids) > 50:
        raise HTTPError(400, f"{name} must be at most 50 comma-separated integers")
    return [i for i in ids if i is not None]


def products_locations_get(req: Request) -> Response:
    location_ids = _ids_arg(req, "location_ids", required=True) or []
    product_ids = _ids_arg(req, "product_ids", required=True) or []
    variant_ids = _ids_arg(req, "variant_ids", required=False)
    rows = []
    for location_id in location_ids:
        if location_id not in req.store.locations:
            continue
        for product_id in product_ids:
            product = req.store.products.get(product_id)
            if product is None:
                continue
            variants = [v.get("id") for v in product.get("variants") or []] or [None]
            for variant_id in variants:
                if variant_ids is not None and variant_id not in variant_ids:
                    continue
                stored = req.store.location_stock.get((location_id, product_id, variant_id))
                stock = stored["stock"] if stored else _seeded_stock(product, variant_id)
                rows.append(
                    {
                        "location_id": location_id,
                        "product_id": product_id,
                        "variant_id": variant_id,
                        "stock": stock,
                    }
                )
    return _ok(rows)


def _seeded_stock(product: Record, variant_id: int | None) -> int | None:
    if variant_id is None:
        return as_int(product.get("stock"))
    for variant in product.get("variants") or []:
        if variant.get("id") == variant_id:
            return as_int(variant.get("stock"))
    return None


def products_locations_put(req: Request) -> Response:
    body = req.body
    if not isinstance(body, dict):
        raise HTTPError(400, "Missing parameter: expected a JSON object")
    location_id, product_id = as_int(body.get("location_id")), as_int(body.get("product_id"))
    if location_id is None or location_id not in req.store.locations:
        raise HTTPError(404, "Location not found")
    if product_id is None or product_id not in req.store.products:
        raise HTTPError(404, "Product not found")
    variant_id = as_int(body.get("variant_id"))
    stock = as_int(body.get("stock"))
    req.store.location_stock[(location_id, product_id, variant_id)] = {
        "stock": stock,
        "stock_unlimited": bool(body.get("stock_unlimited")),
    }
    return _ok({"message": "Products locations updated successfully"})


# ---------------------------------------------------------------------------------------
# payment methods, municipalities, store setup, balance
# ---------------------------------------------------------------------------------------


def payment_method_create(req: Request) -> Response:
    fields = _fields(req, "payment_method")
    if not fields.get("name"):
        raise HTTPError(422, "Name can't be blank")
    record = {"type": "external_payment_gateway", "name": fields["name"]}
    record = req.store.payment_methods.insert(record)
    return _ok(PAYMENT_METHODS.out(req, record), req.create_status)


def municipalities_list(req: Request) -> Response:
    code, _, regions = _country(req)
    wanted = req.params["region_code"].upper()
    if not any(region.upper() == wanted for region, _ in regions):
        raise HTTPError(404, "Region not found")
    locale = req.store.seeder.locale
    names = [city for city, _, region in locale.cities if region.upper() == wanted]
    if locale.country != code:
        names = []
    return _ok([{"code": f"{code}-{wanted}-{n + 1}", "name": name} for n, name in enumerate(names)])


def store_setup(req: Request) -> Response:
    fields = _fields(req, "store")
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip():
        raise HTTPError(400, "Bad Request - invalid name")
    base = "".join(c for c in name.lower() if c.isalnum()) or "store"
    code, n = base, 2
    while code in req.store.setup_stores:
        code, n = f"{base}{n}", n + 1
    req.store.setup_stores[code] = {"name": name, "country": fields.get("country")}
    return _ok(
        {
            "store": {
                "code": code,
                "name": name,
                "url": f"https://{code}.jumpseller.com",
                "admin_url": f"https://jumpseller.com/admin/{code}",
            },
            # New stores get their own credentials; never the ones of the store asking.
            "credentials": {"login": secrets.token_hex(16), "authtoken": secrets.token_hex(16)},
        },
        req.create_status,
    )


def ledger_balance(req: Request) -> Response:
    currency = str(req.store.info.get("currency") or "")
    balance = req.store.balance
    return _ok(
        [
            {
                "balance": balance,
                "currency": currency,
                "balance_formatted": f"{balance:,.2f} {currency}",
            }
        ]
    )


# ---------------------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------------------

OFFICIAL_TABLE: list[tuple[str, str, Handler]] = [
    ("GET", "/apps/{code}/install_status.json", app_install_status),
    ("GET", "/apps/{code}/install_status_by_store_id.json", app_install_status_by_store),
    ("GET", "/apps/{code}/billing_cycle_dates.json", app_billing_cycle_dates),
    ("GET", "/apps/{code}/billing_cycle_orders.json", app_billing_cycle_orders),
    ("GET", "/apps/{code}/check_billing_cycle_order.json", app_check_billing_cycle_order),
    ("GET", "/carts/{id}.json", cart_get),
    (
        "GET",
        "/countries/{country_code}/regions/{region_code}/municipalities.json",
        municipalities_list,
    ),
    ("DELETE", "/customer_categories/{id}/customers/{customer_id}.json", category_customer_remove),
    ("GET", "/customers/search.json", customers_search),
    ("GET", "/customers/{id}/orders.json", customer_orders),
    ("GET", "/customers/{id}/orders/status/{status}.json", customer_orders_status),
    ("GET", "/documents.json", documents_list),
    ("POST", "/fulfillments.json", fulfillment_create),
    ("POST", "/fulfillments/rates.json", fulfillment_rates),
    ("PUT", "/fulfillments/{id}.json", fulfillment_update),
    ("GET", "/fulfillments/{id}/label.json", fulfillment_label),
    ("GET", "/locations.json", LOCATIONS.list),
    ("POST", "/locations.json", LOCATIONS.create),
    ("GET", "/locations/{id}.json", LOCATIONS.get),
    ("PUT", "/locations/{id}.json", LOCATIONS.update),
    ("DELETE", "/locations/{id}.json", LOCATIONS.delete),
    ("GET", "/orders/search.json", orders_search),
    ("GET", "/orders/{id}/documents.json", order_documents_list),
    ("POST", "/orders/{id}/documents.json", order_document_create),
    ("PUT", "/orders/{id}/documents/{public_id}.json", order_document_update),
    ("DELETE", "/orders/{id}/documents/{public_id}.json", order_document_delete),
    ("GET", "/pages/{id}/images.json", page_images_list),
    ("POST", "/pages/{id}/images.json", page_image_create),
    ("GET", "/pages/{id}/images/count.json", page_images_count),
    ("GET", "/pages/{id}/images/{image_id}.json", page_image_get),
    ("PUT", "/pages/{id}/images/{image_id}.json", page_image_update),
    ("DELETE", "/pages/{id}/images/{image_id}.json", page_image_delete),
    ("POST", "/payment_methods.json", payment_method_create),
    ("GET", "/products/reviews.json", reviews_list),
    ("GET", "/products/reviews/{review_id}.json", review_get),
    ("GET", "/products/{id}/reviews.json", product_reviews_list),
    ("PUT", "/products/{product_id}/images/{image_id}.json", product_image_move),
    ("GET", "/products_locations", products_locations_get),
    ("PUT", "/products_locations", products_locations_put),
    ("POST", "/store/setup.json", store_setup),
    ("GET", "/transaction_ledger/balance.json", ledger_balance),
]
