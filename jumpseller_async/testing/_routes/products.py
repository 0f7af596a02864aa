"""Products: the resource, its filters (status, category, after an id) and search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _seed
from .._http import HTTPError, Request, Response
from .._store import Record, Store, as_int, public
from ._base import _as_list, _category_ids, _count, _id, _merge, _ok, _paging, _timestamps
from ._checks import _expect
from ._resource import Resource

__all__ = [
    "PRODUCTS",
    "products_after",
    "products_category",
    "products_category_count",
    "products_search",
    "products_status",
    "products_status_count",
]


def _render_product(store: Store, record: Record) -> Record:
    out = public(record)
    out["categories"] = [
        view
        for cid in record.get("_category_ids", ())
        if (view := store.category_view(cid)) is not None
    ]
    return out


def _product_defaults(store: Store) -> Record:
    return {
        "name": None,
        "page_title": None,
        "description": None,
        "type": "physical",
        "days_to_expire": None,
        "price": 0.0,
        "discount": 0.0,
        "weight": None,
        "stock": 0,
        "stock_unlimited": False,
        "stock_threshold": 0,
        "stock_notification": False,
        "back_in_stock_enabled": False,
        "cost_per_item": None,
        "compare_at_price": None,
        "sku": None,
        "brand": None,
        "barcode": None,
        "google_product_category_text": None,
        "quotable": False,
        "featured": False,
        "reviews_enabled": False,
        "status": "available",
        **_timestamps(),
        "package_format": "box",
        "length": None,
        "width": None,
        "height": None,
        "diameter": None,
        "permalink": None,
        "images": [],
        "variants": [],
        "digital_products": [],
        "_category_ids": [],
        "_options": [],
        "_attachments": [],
        "_fields": [],
    }


def _prepare_product(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if "categories" in changes:
        record["_category_ids"] = [
            c for c in _category_ids(changes["categories"]) if c in store.categories
        ]
    record.pop("categories", None)
    if creating:
        if not record.get("permalink"):
            record["permalink"] = _seed.slugify(str(record.get("name") or "product"))
        # Variants and images are sub-resources: ids come from the store, not the client.
        record["variants"] = [
            _new_variant(store, record, v)
            for v in _as_list(record.get("variants"))
            if isinstance(v, dict)
        ]
        images = [img for img in _as_list(record.get("images")) if isinstance(img, dict)]
        for i, img in enumerate(images):
            _expect(img.get("url"), "string", f"images[{i}].url")
        record["images"] = [
            {"id": store.next_sub_id("image"), "position": i, "url": img.get("url")}
            for i, img in enumerate(images)
        ]
        record["digital_products"] = []


PRODUCTS = Resource(
    "products",
    "product",
    "Product",
    render=_render_product,
    prepare=_prepare_product,
    defaults=_product_defaults,
    managed=("variants", "images", "digital_products"),
)


def _status_arg(req: Request) -> str:
    status = req.params["status"].strip().lower()
    status = status.replace("_", "-").replace(" ", "-").replace("+", "-")
    if status not in _seed.PRODUCT_STATUSES:
        raise HTTPError(404, f"Invalid status: {req.params['status']!r}")
    return status


def _products_by_status(req: Request) -> Any:
    status = _status_arg(req)
    seeder = req.store.seeder
    return req.store.products.filtered(
        ("status", status),
        lambda r: r.get("status") == status,
        lambda i: seeder.product_status(i) == status,
    )


def _category_arg(req: Request) -> int:
    category_id = _id(req, "category_id", "Category")
    if category_id not in req.store.categories:
        raise HTTPError(404, "Category not found")
    return category_id


def _products_by_category(req: Request) -> Any:
    cid = _category_arg(req)
    seeder = req.store.seeder
    return req.store.products.filtered(
        ("category", cid),
        lambda r: cid in r.get("_category_ids", ()),
        lambda i: cid in seeder.product_category_ids(i),
    )


def products_status(req: Request) -> Response:
    page, limit = _paging(req)
    ids = _products_by_status(req)
    return _ok([PRODUCTS.out(req, r) for r in req.store.products.page(page, limit, ids)])


def products_status_count(req: Request) -> Response:
    return _count(len(_products_by_status(req)))


def products_category(req: Request) -> Response:
    page, limit = _paging(req)
    ids = _products_by_category(req)
    return _ok([PRODUCTS.out(req, r) for r in req.store.products.page(page, limit, ids)])


def products_category_count(req: Request) -> Response:
    return _count(len(_products_by_category(req)))


def products_after(req: Request) -> Response:
    page, limit = _paging(req)
    after = _id(req, "id", "Product")
    return _ok([PRODUCTS.out(req, r) for r in req.store.products.after(after, page, limit)])


_SEARCHABLE_LIGHT = ("name", "sku", "barcode", "brand")
_SEARCHABLE = (
    *_SEARCHABLE_LIGHT,
    "description",
    "variants",
    "option_name",
    "custom_fields",
    "custom_fields_selects",
)


def _search_text(record: Record, fields: Sequence[str]) -> str:
    parts: list[str] = []
    for name in fields:
        if name in ("name", "sku", "barcode", "brand", "description"):
            parts.append(str(record.get(name) or ""))
        elif name == "variants":
            parts.extend(str(v.get("sku") or "") for v in record.get("variants", ()))
        elif name == "option_name":
            parts.extend(str(o.get("name") or "") for o in record.get("_options", ()))
        elif name in ("custom_fields", "custom_fields_selects"):
            parts.extend(str(f.get("value") or "") for f in record.get("_fields", ()))
    return "\n".join(parts).lower()


def products_search(req: Request) -> Response:
    page, limit = _paging(req)
    query = (req.arg("query") or "").strip().lower()
    if not query:
        raise HTTPError(404, "Invalid query")
    raw_fields = req.arg("fields")
    fields = (
        tuple(f.strip() for f in raw_fields.split(",") if f.strip())
        if raw_fields
        else _SEARCHABLE_LIGHT
    )
    unknown = [f for f in fields if f not in _SEARCHABLE]
    if unknown:
        raise HTTPError(404, f"Invalid query: unknown fields {', '.join(unknown)}")
    products = req.store.products
    needs_full = any(f not in _SEARCHABLE_LIGHT for f in fields)

    def matches(view: Record) -> bool:
        if needs_full and "_options" not in view:
            full = products.get(int(view["id"]))
            view = full if full is not None else view
        return query in _search_text(view, fields)

    ids = products.filtered(("search", query, fields), matches)
    return _ok([PRODUCTS.out(req, r) for r in products.page(page, limit, ids)])


def _product(req: Request, param: str = "id", *, write: bool = False) -> Record:
    product_id = _id(req, param, "Product")
    products = req.store.products
    record = products.materialize(product_id) if write else products.get(product_id)
    if record is None:
        raise HTTPError(404, "Product not found")
    return record


def _new_variant(store: Store, product: Record, fields: Record) -> Record:
    images = product.get("images") or []
    image_id = as_int(fields.pop("image_id", None))
    image = next((dict(i) for i in images if i.get("id") == image_id), None)
    variant: Record = {
        "id": store.next_sub_id("variant"),
        "price": product.get("price"),
        "sku": None,
        "barcode": None,
        "stock": 100,
        "stock_unlimited": False,
        "stock_threshold": 0,
        "stock_notification": False,
        "cost_per_item": None,
        "compare_at_price": None,
        "options": [],
        "image": image,
    }
    _merge(variant, fields)
    return variant
