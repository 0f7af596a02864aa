"""Fulfillments: read, created with tracking (mirrored on their order), updated, rated, labelled."""

from __future__ import annotations

import datetime as dt

from .._http import HTTPError, Request, Response
from .._store import Record, Store, as_int, now_iso, stamp
from ._base import _fields, _id, _merge, _ok
from ._resource import Resource

__all__ = [
    "FULFILLMENTS",
    "fulfillment_create",
    "fulfillment_label",
    "fulfillment_rates",
    "fulfillment_update",
    "order_fulfillments",
]


# API-FACTS: fulfillments are wrapped as "order_fulfillment" (the specs disagree with each other).
FULFILLMENTS = Resource("fulfillments", "order_fulfillment", "Fulfillment")


def order_fulfillments(req: Request) -> Response:
    order_id = _id(req, "id", "Order")
    if order_id not in req.store.orders:
        raise HTTPError(404, "Order not found")
    return _ok([FULFILLMENTS.out(req, r) for r in req.store.fulfillments_of_order(order_id)])


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
