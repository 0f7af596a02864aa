"""Pickup locations and stock per location (official spec only)."""

from __future__ import annotations

from .._http import HTTPError, Request, Response
from .._store import Record, Store, as_int, public
from ._base import _ok
from ._resource import Resource

__all__ = ["LOCATIONS", "products_locations_get", "products_locations_put"]


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
