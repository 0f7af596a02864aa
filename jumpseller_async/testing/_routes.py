"""The 183 operations of the Jumpseller API, served from a :class:`~._store.Store`.

The 41 only Jumpseller's official spec documents are in ``_official`` (built on the helpers
here and appended to the table at the end of this module).

The route table is written out by hand (the package must not need PyYAML at run time);
a test checks it against the spec codegen generates from (apis.guru's merged with the official).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import _seed
from ._fieldtypes import BODIES, FIELD_TYPES
from ._http import Handler, HTTPError, Request, Response
from ._store import (
    Collection,
    Record,
    Store,
    as_float,
    as_int,
    now_iso,
    now_order_time,
    public,
    stamp,
)

__all__ = ["PARTNER_PATHS", "ROUTES"]

# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------

_READ_ONLY = frozenset({"id", "created_at", "updated_at"})

# These authenticate with partner_code/auth_token instead of the store's credentials.
PARTNER_PATHS = frozenset(
    {"/partners/stores.json", "/store/check_status.json", "/store/create.json"}
)


def _clean(value: Any) -> Any:
    """Input normalised the way Jumpseller stores it: empty strings become null."""
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _merge(target: Record, changes: Record) -> None:
    """Partial update: only the given keys change; nested objects merge key by key."""
    for key, value in changes.items():
        if key in _READ_ONLY:
            continue
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged = dict(current)
            _merge(merged, value)
            target[key] = merged
        else:
            target[key] = value


def _fields(req: Request, *wrappers: str) -> Record:
    """The object inside the request's wrapper key (the first of ``wrappers`` found)."""
    body = req.body
    if isinstance(body, dict):
        for wrapper in wrappers:
            inner = body.get(wrapper)
            if isinstance(inner, dict):
                cleaned: Record = _clean(inner)
                return cleaned
    raise HTTPError(400, f"Missing parameter: expected a JSON object under {wrappers[0]!r}")


# ---------------------------------------------------------------------------------------
# body types: a value of the wrong JSON type is refused with 422, never stored nor crashed on
# ---------------------------------------------------------------------------------------

_ARTICLES = {"integer": "an integer", "object": "an object", "array": "an array"}


def _must_be(expected: str) -> str:
    return f"must be {_ARTICLES.get(expected, 'a ' + expected)}"


def _typed(value: Any, expected: str) -> bool:
    """Whether ``value`` has the JSON type ``expected``.

    Null always does (the API uses it for empty), and so does "" (stored as null).
    """
    if value is None or (isinstance(value, str) and value == ""):
        return True
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    if isinstance(value, bool):
        return False
    if expected == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if expected == "number":
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    return True  # a type this table does not know: nothing to check


def _type_errors(
    fields: Record, types: Mapping[str, str], prefix: str = ""
) -> dict[str, list[str]]:
    """``{field: [message]}`` for each field of a declared type that ``fields`` breaks.

    Integer fields sent as integral floats (``3.0``) are accepted and stored as integers.
    """
    errors: dict[str, list[str]] = {}
    for key, value in fields.items():
        expected = types.get(key)
        if expected is None or str(key).startswith("_"):
            continue  # undeclared fields are stored as sent: the real API grows fields
        if not _typed(value, expected):
            errors[f"{prefix}{key}"] = [_must_be(expected)]
        elif expected == "integer" and isinstance(value, float):
            fields[key] = int(value)
    return errors


def _unprocessable(errors: Mapping[str, list[str]]) -> HTTPError:
    message = "; ".join(f"{field} {problems[0]}" for field, problems in errors.items())
    return HTTPError(422, message, {"message": message, "errors": dict(errors)})


def _expect(value: Any, expected: str, field: str) -> None:
    """Refuse (422) one nested value a handler reads that is not of the ``expected`` type."""
    if not _typed(value, expected):
        raise _unprocessable({field: [_must_be(expected)]})


def _number(value: Any, field: str, default: float = 0.0) -> float:
    _expect(value, "number", field)
    return default if value is None or value == "" else float(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# Wrapper keys handlers accept besides the spec's own (the names live clients also send).
_WRAPPER_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/customer_categories.json"): ("customer_category",),
    ("PUT", "/customer_categories/{id}.json"): ("customer_category",),
    ("POST", "/jsapps.json"): ("js_app",),
    ("POST", "/fulfillments.json"): ("order_fulfillment",),
    ("PUT", "/fulfillments/{id}.json"): ("order_fulfillment",),
}


def _typechecked(method: str, path: str, handler: Handler) -> Handler:
    """``handler`` behind a check of its body's field types against the spec (``_fieldtypes``).

    The check runs before the handler, so a refused write stores nothing. Partner paths
    check their own (their errors have another shape).
    """
    found = BODIES.get((method, path))
    if found is None or path in PARTNER_PATHS:
        return handler
    wrapper, schema = found
    types = FIELD_TYPES[schema]
    keys = (wrapper, *_WRAPPER_ALIASES.get((method, path), ())) if wrapper else ()

    @functools.wraps(handler)
    def checked(req: Request) -> Response:
        body = req.body
        if isinstance(body, dict):
            errors: dict[str, list[str]] = {}
            if keys:
                for key in keys:
                    inner = body.get(key)
                    if isinstance(inner, dict):
                        errors.update(_type_errors(inner, types))
            else:
                errors.update(_type_errors(body, types))
            if errors:
                raise _unprocessable(errors)
        return handler(req)

    return checked


def _int_arg(req: Request, name: str, default: int) -> int:
    raw = req.arg(name)
    if raw is None or raw == "":
        return default
    value = as_int(raw)
    if value is None:
        raise HTTPError(400, f"{name} must be an integer")
    return value


def _paging(req: Request) -> tuple[int, int]:
    page = _int_arg(req, "page", 1)
    limit = _int_arg(req, "limit", req.default_limit)
    if limit > req.max_limit:
        raise HTTPError(400, f"limit must be less than or equal to {req.max_limit}")
    if limit < 1:
        raise HTTPError(400, "limit must be greater than 0")
    if page < 1:
        raise HTTPError(400, "page must be greater than 0")
    return page, limit


def _id(req: Request, name: str, label: str) -> int:
    value = as_int(req.params.get(name))
    if value is None:
        raise HTTPError(404, f"{label} not found")
    return value


def _ok(body: Any, status: int = 200) -> Response:
    return Response(status, body)


def _count(n: int) -> Response:
    return _ok({"count": n})


def _deleted(label: str) -> Response:
    return _ok({"message": f"{label} deleted"})


def _wrap(wrapper: str, record: Record) -> Record:
    return {wrapper: record}


# ---------------------------------------------------------------------------------------
# rendering stored records into API shapes
# ---------------------------------------------------------------------------------------


def _render_product(store: Store, record: Record) -> Record:
    out = public(record)
    out["categories"] = [
        view
        for cid in record.get("_category_ids", ())
        if (view := store.category_view(cid)) is not None
    ]
    return out


def _render_customer(store: Store, record: Record) -> Record:
    out = public(record)
    out["customer_categories"] = [
        {"customer_category": view}
        for cid in record.get("_category_ids", ())
        if (view := store.customer_category_view(cid)) is not None
    ]
    out["customer_additional_fields"] = [
        {"customer_additional_field": dict(f)} for f in record.get("_fields", ())
    ]
    return out


def _render_custom_field(store: Store, record: Record) -> Record:
    # Both specs: values are the option values as strings; the options themselves (with
    # their ids) are served by /custom_fields/{id}/select_options.json.
    out = public(record)
    out["values"] = [
        o["value"] for o in record.get("_options", ()) if isinstance(o.get("value"), str)
    ]
    return out


def _render_plain(store: Store, record: Record) -> Record:
    return public(record)


Render = Callable[[Store, Record], Record]
Prepare = Callable[[Store, Record, Record, bool], None]


# ---------------------------------------------------------------------------------------
# generic top-level resources
# ---------------------------------------------------------------------------------------


class Resource:
    """CRUD handlers for one top-level collection."""

    def __init__(
        self,
        attr: str,
        wrapper: str,
        label: str,
        *,
        inputs: Sequence[str] = (),
        render: Render = _render_plain,
        prepare: Prepare | None = None,
        defaults: Callable[[Store], Record] | None = None,
        id_param: str = "id",
        managed: Sequence[str] = (),
    ) -> None:
        self.attr = attr
        self.wrapper = wrapper
        self.label = label
        self.inputs = (wrapper, *inputs)
        self.render = render
        self.prepare = prepare
        self.defaults = defaults
        self.id_param = id_param
        # Keys owned by sub-resource routes: an update that echoes them back changes nothing.
        self.managed = frozenset(managed)

    def coll(self, req: Request) -> Collection:
        collection: Collection = getattr(req.store, self.attr)
        return collection

    def out(self, req: Request, record: Record) -> Record:
        return _wrap(self.wrapper, self.render(req.store, record))

    def find(self, req: Request) -> tuple[int, Record]:
        item_id = _id(req, self.id_param, self.label)
        record = self.coll(req).get(item_id)
        if record is None:
            raise HTTPError(404, f"{self.label} not found")
        return item_id, record

    def list(self, req: Request) -> Response:
        page, limit = _paging(req)
        return _ok([self.out(req, r) for r in self.coll(req).page(page, limit)])

    def count(self, req: Request) -> Response:
        return _count(len(self.coll(req)))

    def get(self, req: Request) -> Response:
        return _ok(self.out(req, self.find(req)[1]))

    def create(self, req: Request) -> Response:
        changes = _fields(req, *self.inputs)
        record: Record = self.defaults(req.store) if self.defaults else {}
        _merge(record, changes)
        if self.prepare:
            self.prepare(req.store, record, changes, True)
        record = self.coll(req).insert(record)
        return _ok(self.out(req, record), req.create_status)

    def update(self, req: Request) -> Response:
        item_id, current = self.find(req)
        changes = {k: v for k, v in _fields(req, *self.inputs).items() if k not in self.managed}
        # Changed on a copy: an update refused by prepare (422) leaves the record as it was.
        updated = copy.deepcopy(current)
        _merge(updated, changes)
        if self.prepare:
            self.prepare(req.store, updated, changes, False)
        if "updated_at" in updated:
            stamp(updated, "updated_at")
        record = self.coll(req).materialize(item_id)
        assert record is not None
        record.clear()
        record.update(updated)
        return _ok(self.out(req, record))

    def delete(self, req: Request) -> Response:
        item_id, _ = self.find(req)
        self.coll(req).delete(item_id)
        return _deleted(self.label)


def _timestamps() -> Record:
    now = now_iso()
    return {"created_at": now, "updated_at": now}


def _prepare_category(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if creating and not record.get("permalink"):
        record["permalink"] = _seed.slugify(str(record.get("name") or "category"))
    record.setdefault("parent_id", None)


def _category_ids(raw: Any) -> list[int]:
    ids: list[int] = []
    for item in raw if isinstance(raw, list) else []:
        value = as_int(item.get("id") if isinstance(item, dict) else item)
        if value is not None:
            ids.append(value)
    return ids


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


def _customer_defaults(store: Store) -> Record:
    return {
        "email": None,
        "phone": None,
        "fullname": None,
        "status": "approved",
        "accepts_marketing": False,
        "accepted_marketing_at": None,
        "cancelled_marketing_at": None,
        "shipping_address": None,
        "billing_address": None,
        "_category_ids": [],
        "_fields": [],
    }


def _prepare_customer(store: Store, record: Record, changes: Record, creating: bool) -> None:
    record.pop("password", None)
    if "customer_category" in changes:
        record["_category_ids"] = [
            c for c in _category_ids(changes["customer_category"]) if c in store.customer_categories
        ]
    record.pop("customer_category", None)
    record.pop("customer_categories", None)
    record.pop("customer_additional_fields", None)
    if "email" in changes:
        email = record.get("email")
        if not email:
            raise HTTPError(422, "Email can't be blank")
        other = store.customer_by_email(str(email))
        if other is not None and other.get("id") != record.get("id"):
            raise HTTPError(422, "Email has already been taken")
    elif creating:
        raise HTTPError(422, "Email can't be blank")
    if not record.get("fullname"):
        address = record.get("shipping_address")
        parts = (address.get("name"), address.get("surname")) if isinstance(address, dict) else ()
        name = " ".join(str(p) for p in parts if p)
        record["fullname"] = name or None


def _prepare_customer_category(
    store: Store, record: Record, changes: Record, creating: bool
) -> None:
    if creating and not record.get("code"):
        record["code"] = _seed.slugify(str(record.get("name") or "category"))


def _prepare_tax(store: Store, record: Record, changes: Record, creating: bool) -> None:
    # The request calls the amount "tax" (inside the "tax" wrapper); answers call it tax_amount.
    if "tax" in record:
        record["tax_amount"] = record.pop("tax")
    for key in ("name", "country", "region", "category_id", "tax_amount"):
        record.setdefault(key, None)
    record.setdefault("fixed", False)
    record.setdefault("shipping", False)


def _prepare_custom_field(store: Store, record: Record, changes: Record, creating: bool) -> None:
    values = record.pop("values", None)
    if isinstance(values, list):
        # Strings (both specs); {"value": ...} objects, as select options read, are taken too.
        options = [v.get("value") if isinstance(v, dict) else v for v in values]
        for i, option in enumerate(options):
            _expect(option, "string", f"values[{i}]")
        record["_options"] = [
            {"id": store.next_sub_id("select_option"), "value": option}
            for option in options
            if option is not None
        ]
    record.setdefault("_options", [])
    record.setdefault("product_visibility", True)


def _prepare_page(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if creating:
        for key in ("body", "page_title", "meta_description", "image"):
            record.setdefault(key, None)
        record.setdefault("status", "public")
        record.setdefault("legal", False)
        record.setdefault("categories", [])
        if not record.get("permalink"):
            record["permalink"] = _seed.slugify(str(record.get("title") or "page"))
    template = record.get("template")
    if isinstance(template, int):
        record["template"] = {"id": template, "name": "page"}


def _prepare_hook(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if not record.get("url"):
        raise HTTPError(422, "Url can't be blank")
    if not record.get("event"):
        raise HTTPError(422, "Event can't be blank")
    record.setdefault("name", None)
    record.pop("updated_at", None)


def _prepare_shipping_method(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if creating:
        record.setdefault("type", "flat")
        record.setdefault("enabled", True)
        for key in ("callback_url", "fetch_services_url", "state", "city", "postal"):
            record.setdefault(key, None)
        for key in ("fee", "services", "tables"):
            record.setdefault(key, [])


def _prepare_checkout_field(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if creating:
        record.setdefault("type", "input")
        record.setdefault("area", "other")
        record.setdefault("required", False)
        record.setdefault("deletable", True)
        record.setdefault("custom_field_select_options", None)
        record.setdefault("position", len(store.checkout_custom_fields) + 1)


def _prepare_promotion(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if creating:
        record.setdefault("status", "active")
        record.setdefault("enabled", True)
        record.setdefault("times_used", 0)
        for key in (
            "categories",
            "customer_categories",
            "products",
            "products_x",
            "countries",
            "regions",
            "municipalities",
        ):
            record.setdefault(key, [])
        code = record.pop("code", None)
        record.setdefault(
            "coupons",
            [{"id": 1, "code": code, "usage_limit": None, "times_used": 0}] if code else [],
        )


CATEGORIES = Resource("categories", "category", "Category", prepare=_prepare_category)
PRODUCTS = Resource(
    "products",
    "product",
    "Product",
    render=_render_product,
    prepare=_prepare_product,
    defaults=_product_defaults,
    managed=("variants", "images", "digital_products"),
)
CUSTOMERS = Resource(
    "customers",
    "customer",
    "Customer",
    render=_render_customer,
    prepare=_prepare_customer,
    defaults=_customer_defaults,
    managed=("customer_additional_fields",),
)
CUSTOMER_CATEGORIES = Resource(
    "customer_categories",
    "customer_category",
    "Customer category",
    inputs=("category",),
    prepare=_prepare_customer_category,
)
PAGES = Resource("pages", "page", "Page", prepare=_prepare_page, defaults=lambda s: _timestamps())
PROMOTIONS = Resource("promotions", "promotion", "Promotion", prepare=_prepare_promotion)
HOOKS = Resource(
    "hooks", "hook", "Hook", prepare=_prepare_hook, defaults=lambda s: {"created_at": now_iso()}
)
PAYMENT_METHODS = Resource("payment_methods", "payment_method", "Payment method")
SHIPPING_METHODS = Resource(
    "shipping_methods", "shipping_method", "Shipping method", prepare=_prepare_shipping_method
)
TAXES = Resource("taxes", "tax", "Tax", prepare=_prepare_tax)
CUSTOM_FIELDS = Resource(
    "custom_fields",
    "custom_field",
    "Custom field",
    render=_render_custom_field,
    prepare=_prepare_custom_field,
)
CHECKOUT_FIELDS = Resource(
    "checkout_custom_fields",
    "checkout_custom_field",
    "Checkout custom field",
    prepare=_prepare_checkout_field,
)
# API-FACTS: fulfillments are wrapped as "order_fulfillment" (the specs disagree with each other).
FULFILLMENTS = Resource("fulfillments", "order_fulfillment", "Fulfillment")
ORDERS = Resource("orders", "order", "Order")


# ---------------------------------------------------------------------------------------
# products: filters and sub-resources
# ---------------------------------------------------------------------------------------


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


def _find(items: Sequence[Record], item_id: int | None, label: str) -> Record:
    for item in items:
        if item_id is not None and item.get("id") == item_id:
            return item
    raise HTTPError(404, f"{label} not found")


def _sync_stock(product: Record) -> None:
    variants = product.get("variants") or []
    if variants:
        product["stock"] = sum(as_int(v.get("stock")) or 0 for v in variants)


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


class ProductSub:
    """A list of sub-resources kept on the product record (``key``)."""

    def __init__(
        self,
        key: str,
        wrapper: str,
        label: str,
        kind: str,
        param: str,
        make: Callable[[Store, Record, Record], Record],
    ) -> None:
        self.key = key
        self.wrapper = wrapper
        self.label = label
        self.kind = kind
        self.param = param
        self.make = make

    def list(self, req: Request) -> Response:
        return _ok([_wrap(self.wrapper, public(i)) for i in _product(req).get(self.key, [])])

    def count(self, req: Request) -> Response:
        return _count(len(_product(req).get(self.key, [])))

    def get(self, req: Request) -> Response:
        item = _find(
            _product(req).get(self.key, []), as_int(req.params.get(self.param)), self.label
        )
        return _ok(_wrap(self.wrapper, public(item)))

    def create(self, req: Request) -> Response:
        fields = _fields(req, self.wrapper)
        product = _product(req, write=True)
        item = self.make(req.store, product, fields)
        product.setdefault(self.key, []).append(item)
        _sync_stock(product)
        stamp(product, "updated_at")
        return _ok(_wrap(self.wrapper, public(item)), req.create_status)

    def update(self, req: Request) -> Response:
        _find(_product(req).get(self.key, []), as_int(req.params.get(self.param)), self.label)
        fields = _fields(req, self.wrapper)
        product = _product(req, write=True)
        item = _find(product.get(self.key, []), as_int(req.params.get(self.param)), self.label)
        if self.key == "variants" and "image_id" in fields:
            image_id = as_int(fields.pop("image_id"))
            item["image"] = next(
                (dict(i) for i in product.get("images", []) if i.get("id") == image_id), None
            )
        fields.pop("values", None)
        _merge(item, fields)
        _sync_stock(product)
        stamp(product, "updated_at")
        return _ok(_wrap(self.wrapper, public(item)))

    def delete(self, req: Request) -> Response:
        _find(_product(req).get(self.key, []), as_int(req.params.get(self.param)), self.label)
        product = _product(req, write=True)
        item_id = as_int(req.params.get(self.param))
        product[self.key] = [i for i in product.get(self.key, []) if i.get("id") != item_id]
        if self.key == "images":
            for variant in product.get("variants", []):
                if isinstance(variant.get("image"), dict) and variant["image"].get("id") == item_id:
                    variant["image"] = None
        _sync_stock(product)
        stamp(product, "updated_at")
        return _deleted(self.label)


def _make_image(store: Store, product: Record, fields: Record) -> Record:
    if not fields.get("url"):
        raise HTTPError(422, "Url can't be blank")
    return {
        "id": store.next_sub_id("image"),
        "position": len(product.get("images", [])),
        "url": fields["url"],
    }


def _file_url(store: Store, fields: Record) -> str:
    url = fields.get("url")
    if url:
        return str(url)
    name = fields.get("filename")
    if not name:
        raise HTTPError(422, "Either url or filename must be given")
    return f"https://files.jumpseller.com/{store.info['code']}/{name}"


def _make_attachment(store: Store, product: Record, fields: Record) -> Record:
    return {"id": store.next_sub_id("attachment"), "url": _file_url(store, fields)}


def _make_digital(store: Store, product: Record, fields: Record) -> Record:
    return {
        "id": store.next_sub_id("digital_product"),
        "url": _file_url(store, fields),
        "expiration_seconds": fields.get("expiration_seconds"),
        "external": bool(fields.get("url")),
    }


def _make_option(store: Store, product: Record, fields: Record) -> Record:
    if not fields.get("name"):
        raise HTTPError(422, "Name can't be blank")
    return {
        "id": store.next_sub_id("option"),
        "name": fields["name"],
        "position": fields.get("position", len(product.get("_options", []))),
        "option_type": fields.get("option_type") or "option",
        "addon_price": fields.get("addon_price"),
        "values": [],
    }


VARIANTS = ProductSub("variants", "variant", "Variant", "variant", "variant_id", _new_variant)
IMAGES = ProductSub("images", "image", "Image", "image", "image_id", _make_image)
ATTACHMENTS = ProductSub(
    "_attachments", "attachment", "Attachment", "attachment", "attachment_id", _make_attachment
)
DIGITAL = ProductSub(
    "digital_products",
    "digital_product",
    "Digital product",
    "digital_product",
    "digital_product_id",
    _make_digital,
)
OPTIONS = ProductSub("_options", "option", "Option", "option", "option_id", _make_option)


def _option(req: Request, *, write: bool = False) -> tuple[Record, Record]:
    product = _product(req, write=write)
    option = _find(product.get("_options", []), as_int(req.params.get("option_id")), "Option")
    return product, option


def option_values_list(req: Request) -> Response:
    return _ok([_wrap("value", dict(v)) for v in _option(req)[1].get("values", [])])


def option_values_count(req: Request) -> Response:
    return _count(len(_option(req)[1].get("values", [])))


def option_value_get(req: Request) -> Response:
    value = _find(
        _option(req)[1].get("values", []), as_int(req.params.get("value_id")), "Option value"
    )
    return _ok(_wrap("value", dict(value)))


def option_value_create(req: Request) -> Response:
    _option(req)
    fields = _fields(req, "value")
    if not fields.get("name"):
        raise HTTPError(422, "Name can't be blank")
    product, option = _option(req, write=True)
    values = option.setdefault("values", [])
    value = {
        "id": req.store.next_sub_id("option_value"),
        "name": fields["name"],
        "custom": fields.get("custom"),
        "position": fields.get("position", len(values)),
    }
    values.append(value)
    stamp(product, "updated_at")
    return _ok(_wrap("value", dict(value)), req.create_status)


def option_value_update(req: Request) -> Response:
    _find(_option(req)[1].get("values", []), as_int(req.params.get("value_id")), "Option value")
    fields = _fields(req, "value")
    product, option = _option(req, write=True)
    value = _find(option.get("values", []), as_int(req.params.get("value_id")), "Option value")
    _merge(value, fields)
    stamp(product, "updated_at")
    return _ok(_wrap("value", dict(value)))


def option_value_delete(req: Request) -> Response:
    _find(_option(req)[1].get("values", []), as_int(req.params.get("value_id")), "Option value")
    product, option = _option(req, write=True)
    value_id = as_int(req.params.get("value_id"))
    option["values"] = [v for v in option.get("values", []) if v.get("id") != value_id]
    stamp(product, "updated_at")
    return _deleted("Option value")


def product_fields_list(req: Request) -> Response:
    return _ok([_wrap("field", dict(f)) for f in _product(req).get("_fields", [])])


def product_fields_count(req: Request) -> Response:
    return _count(len(_product(req).get("_fields", [])))


def product_field_create(req: Request) -> Response:
    _product(req)
    fields = _fields(req, "field")
    custom_field = req.store.custom_fields.get(
        as_int(fields.get("id") or fields.get("custom_field_id")) or -1
    )
    if custom_field is None:
        raise HTTPError(404, "Custom field not found")
    value = fields.get("value")
    option = next((o for o in custom_field.get("_options", []) if o.get("value") == value), None)
    product = _product(req, write=True)
    product.setdefault("_fields", []).append(
        {
            "id": req.store.next_sub_id("product_field"),
            "custom_field_id": custom_field["id"],
            "type": custom_field.get("type"),
            "label": custom_field.get("label"),
            "value": value,
            "value_id": str(option["id"]) if option else None,
            "variant_id": as_int(fields.get("variant_id")),
        }
    )
    stamp(product, "updated_at")
    # Both specs agree: adding a field answers with the whole product.
    return _ok(PRODUCTS.out(req, product), req.create_status)


def _product_field(req: Request, product: Record) -> Record:
    wanted = as_int(req.params.get("field_id"))
    items: list[Record] = product.get("_fields", [])
    # The path id may be the field's own id or its custom field's id: accept both.
    for key in ("id", "custom_field_id"):
        for item in items:
            if item.get(key) == wanted:
                return item
    raise HTTPError(404, "Field not found")


# The spec gives this operation no body; what clients send is checked as the POST's fields.
_PRODUCT_FIELD_TYPES = {"value": "string", "variant_id": "integer"}


def product_field_update(req: Request) -> Response:
    _product_field(req, _product(req, "product_id"))
    body: Record = req.body if isinstance(req.body, dict) else {}
    inner: Record = body["field"] if isinstance(body.get("field"), dict) else body
    changes = _clean({k: v for k, v in inner.items() if k in _PRODUCT_FIELD_TYPES})
    errors = _type_errors(changes, _PRODUCT_FIELD_TYPES)
    if errors:
        raise _unprocessable(errors)
    product = _product(req, "product_id", write=True)
    item = _product_field(req, product)
    _merge(item, changes)
    stamp(product, "updated_at")
    return _ok(_wrap("field", dict(item)))


def product_field_delete(req: Request) -> Response:
    _product_field(req, _product(req, "product_id"))
    product = _product(req, "product_id", write=True)
    item = _product_field(req, product)
    product["_fields"] = [f for f in product.get("_fields", []) if f is not item]
    stamp(product, "updated_at")
    return _deleted("Field")


# ---------------------------------------------------------------------------------------
# customers
# ---------------------------------------------------------------------------------------


def customer_by_email(req: Request) -> Response:
    email = req.params["email"]
    record = req.store.customer_by_email(email)
    if record is None and "+" in email:
        # Clients that form-encode paths send spaces as "+": give those a second chance.
        record = req.store.customer_by_email(email.replace("+", " "))
    if record is None:
        raise HTTPError(404, "Customer not found")
    return _ok(CUSTOMERS.out(req, record))


def _customer(req: Request, *, write: bool = False) -> Record:
    customer_id = _id(req, "id", "Customer")
    customers = req.store.customers
    record = customers.materialize(customer_id) if write else customers.get(customer_id)
    if record is None:
        raise HTTPError(404, "Customer not found")
    return record


def customer_fields_list(req: Request) -> Response:
    return _ok(
        [_wrap("customer_additional_field", dict(f)) for f in _customer(req).get("_fields", [])]
    )


def customer_field_get(req: Request) -> Response:
    item = _find(
        _customer(req).get("_fields", []),
        as_int(req.params.get("field_id")),
        "Customer additional field",
    )
    return _ok(_wrap("customer_additional_field", dict(item)))


def customer_field_create(req: Request) -> Response:
    _customer(req)
    fields = _fields(req, "customer_additional_field")
    checkout_id = as_int(fields.get("checkout_custom_field_id"))
    checkout = (
        req.store.checkout_custom_fields.get(checkout_id) if checkout_id is not None else None
    )
    if checkout is None:
        raise HTTPError(404, "Checkout custom field not found")
    customer = _customer(req, write=True)
    item = {
        "id": req.store.next_sub_id("customer_field"),
        "label": checkout.get("label"),
        "value": fields.get("value"),
        "area": checkout.get("area"),
        "customer_id": customer["id"],
        "checkout_custom_field_id": checkout_id,
    }
    customer.setdefault("_fields", []).append(item)
    return _ok(_wrap("customer_additional_field", dict(item)), req.create_status)


def customer_field_update(req: Request) -> Response:
    _find(
        _customer(req).get("_fields", []),
        as_int(req.params.get("field_id")),
        "Customer additional field",
    )
    fields = _fields(req, "customer_additional_field")
    if "value" not in fields:
        raise HTTPError(400, "value is required")
    customer = _customer(req, write=True)
    item = _find(
        customer.get("_fields", []), as_int(req.params.get("field_id")), "Customer additional field"
    )
    item["value"] = fields["value"]
    return _ok(_wrap("customer_additional_field", dict(item)))


def customer_field_delete(req: Request) -> Response:
    _find(
        _customer(req).get("_fields", []),
        as_int(req.params.get("field_id")),
        "Customer additional field",
    )
    customer = _customer(req, write=True)
    field_id = as_int(req.params.get("field_id"))
    customer["_fields"] = [f for f in customer.get("_fields", []) if f.get("id") != field_id]
    return _deleted("Customer additional field")


def _customer_category_id(req: Request) -> int:
    category_id = _id(req, "id", "Customer category")
    if category_id not in req.store.customer_categories:
        raise HTTPError(404, "Customer category not found")
    return category_id


def category_customers_list(req: Request) -> Response:
    page, limit = _paging(req)
    cid = _customer_category_id(req)
    customers = req.store.customers
    seeder = req.store.seeder
    ids = customers.filtered(
        ("customer_category", cid),
        lambda r: cid in r.get("_category_ids", ()),
        lambda i: cid in seeder.customer_category_ids(i),
    )
    return _ok([CUSTOMERS.out(req, r) for r in customers.page(page, limit, ids)])


def _customers_in_body(req: Request) -> list[int]:
    body = req.body if isinstance(req.body, dict) else {}
    entries = body.get("customers")
    if not isinstance(entries, list) or not entries:
        raise HTTPError(400, "Missing parameter: expected a list under 'customers'")
    found: list[int] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise HTTPError(400, "customers entries must be objects with an id or an email")
        record = None
        if entry.get("id") is not None:
            customer_id = as_int(entry["id"])
            record = req.store.customers.get(customer_id) if customer_id is not None else None
        elif entry.get("email"):
            record = req.store.customer_by_email(str(entry["email"]))
        if record is None:
            raise HTTPError(404, "Customer not found")
        found.append(int(record["id"]))
    return found


def category_customers_add(req: Request) -> Response:
    cid = _customer_category_id(req)
    out = []
    for customer_id in _customers_in_body(req):
        record = req.store.customers.materialize(customer_id)
        assert record is not None
        ids = record.setdefault("_category_ids", [])
        if cid not in ids:
            ids.append(cid)
        out.append(CUSTOMERS.out(req, record))
    return _ok(out)


def category_customers_remove(req: Request) -> Response:
    cid = _customer_category_id(req)
    for customer_id in _customers_in_body(req):
        record = req.store.customers.materialize(customer_id)
        assert record is not None
        record["_category_ids"] = [c for c in record.get("_category_ids", []) if c != cid]
    return _ok({"message": "Customers removed from the customer category"})


# ---------------------------------------------------------------------------------------
# orders
# ---------------------------------------------------------------------------------------

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


def order_fulfillments(req: Request) -> Response:
    order_id = _id(req, "id", "Order")
    if order_id not in req.store.orders:
        raise HTTPError(404, "Order not found")
    return _ok([FULFILLMENTS.out(req, r) for r in req.store.fulfillments_of_order(order_id)])


# ---------------------------------------------------------------------------------------
# custom field select options
# ---------------------------------------------------------------------------------------


def _custom_field(req: Request, *, write: bool = False) -> Record:
    field_id = _id(req, "id", "Custom field")
    fields = req.store.custom_fields
    record = fields.materialize(field_id) if write else fields.get(field_id)
    if record is None:
        raise HTTPError(404, "Custom field not found")
    return record


_SELECT = "custom_field_select_option"


def select_options_list(req: Request) -> Response:
    return _ok([_wrap(_SELECT, dict(o)) for o in _custom_field(req).get("_options", [])])


def select_option_get(req: Request) -> Response:
    item = _find(
        _custom_field(req).get("_options", []),
        as_int(req.params.get("custom_field_select_option_id")),
        "Select option",
    )
    return _ok(_wrap(_SELECT, dict(item)))


def select_option_create(req: Request) -> Response:
    _custom_field(req)
    fields = _fields(req, _SELECT)
    if not fields.get("value"):
        raise HTTPError(422, "Value can't be blank")
    record = _custom_field(req, write=True)
    item = {"id": req.store.next_sub_id("select_option"), "value": fields["value"]}
    record.setdefault("_options", []).append(item)
    return _ok(_wrap(_SELECT, dict(item)), req.create_status)


def select_option_update(req: Request) -> Response:
    option_id = as_int(req.params.get("custom_field_select_option_id"))
    _find(_custom_field(req).get("_options", []), option_id, "Select option")
    fields = _fields(req, _SELECT)
    if "value" in fields and not fields["value"]:
        raise HTTPError(422, "Value can't be blank")
    record = _custom_field(req, write=True)
    item = _find(record.get("_options", []), option_id, "Select option")
    _merge(item, fields)
    return _ok(_wrap(_SELECT, dict(item)))


def select_option_delete(req: Request) -> Response:
    option_id = as_int(req.params.get("custom_field_select_option_id"))
    _find(_custom_field(req).get("_options", []), option_id, "Select option")
    record = _custom_field(req, write=True)
    record["_options"] = [o for o in record.get("_options", []) if o.get("id") != option_id]
    return _deleted("Select option")


# ---------------------------------------------------------------------------------------
# store, countries, apps
# ---------------------------------------------------------------------------------------


def store_info(req: Request) -> Response:
    # Both specs show an unwrapped object; live stores answer {"store": {...}}.
    return _ok({"store": dict(req.store.info)})


def store_languages(req: Request) -> Response:
    return _ok([dict(lang) for lang in req.store.languages])


def _country(req: Request) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    code = req.params["country_code"].upper()
    found = req.store.countries.get(code)
    if found is None:
        raise HTTPError(404, "Country not found")
    return code, found[0], found[1]


def countries_list(req: Request) -> Response:
    return _ok(
        [{"code": code, "name": name} for code, (name, _) in sorted(req.store.countries.items())]
    )


def country_get(req: Request) -> Response:
    code, name, _ = _country(req)
    return _ok({"code": code, "name": name})


def regions_list(req: Request) -> Response:
    code, _, regions = _country(req)
    return _ok([{"code": r, "name": n, "iso": f"{code}-{r}"} for r, n in regions])


def region_get(req: Request) -> Response:
    code, _, regions = _country(req)
    wanted = req.params["region_code"].upper()
    for region, name in regions:
        if region.upper() == wanted:
            return _ok({"code": region, "name": name, "iso": f"{code}-{region}"})
    raise HTTPError(404, "Region not found")


_JS_TEMPLATES = ("layout", "home", "product", "page", "category", "cart", "checkout")


def _jsapp_out(record: Record) -> Record:
    return _wrap("js_app", public(record))


def jsapps_list(req: Request) -> Response:
    apps = list(req.store.jsapps)
    if not apps:
        raise HTTPError(404, "This store doesn't have any JsApps")
    return _ok([_jsapp_out(r) for r in apps])


def jsapp_create(req: Request) -> Response:
    fields = _fields(req, "app", "js_app")
    errors = []
    if not fields.get("url"):
        errors.append("Url can't be blank")
    if fields.get("element") not in ("body", "head"):
        errors.append("Element is not included in the list")
    if fields.get("template") not in _JS_TEMPLATES:
        errors.append("Template is not included in the list")
    if errors:
        raise HTTPError(400, errors[0], {"errors": errors})
    first_app = next(iter(req.store.apps), None)
    record = req.store.jsapps.insert(
        {
            "url": fields["url"],
            "template": fields["template"],
            "element": fields["element"],
            "application_id": first_app["id"] if first_app else None,
        }
    )
    return _ok(_jsapp_out(record), req.create_status)


def _app_by_code(req: Request) -> Record | None:
    code = req.params["code"]
    return next((a for a in req.store.apps if a.get("code") == code), None)


def jsapp_get(req: Request) -> Response:
    app = _app_by_code(req)
    if app is None:
        raise HTTPError(404, f"App with code '{req.params['code']}' not found")
    found = [_jsapp_out(r) for r in req.store.jsapps if r.get("application_id") == app["id"]]
    if not found:
        raise HTTPError(404, "This app doesn't have any JsApps")
    return _ok(found)


def jsapp_delete(req: Request) -> Response:
    # apis.guru names the parameter "code", the official spec "id": accept either.
    jsapps = req.store.jsapps
    numeric = as_int(req.params["code"])
    if numeric is not None and numeric in jsapps:
        jsapps.delete(numeric)
        return _ok({"message": "JsApp deleted"})
    app = _app_by_code(req)
    doomed = [r["id"] for r in jsapps if app is not None and r.get("application_id") == app["id"]]
    if not doomed:
        raise HTTPError(404, "JsApp not found")
    for item_id in doomed:
        jsapps.delete(item_id)
    return _ok({"message": "JsApp deleted"})


# ---------------------------------------------------------------------------------------
# partners
# ---------------------------------------------------------------------------------------


def _partner_error(field: str, message: str) -> HTTPError:
    return HTTPError(400, message, {"error": True, "field": field, "message": message})


def _date_arg(req: Request, name: str) -> dt.date:
    raw = req.arg(name)
    if not raw:
        raise _partner_error(name, f"{name} is required")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _partner_error(name, f"{name} must be a date formatted as Y-m-d") from None


def partner_stores(req: Request) -> Response:
    start, end = _date_arg(req, "from"), _date_arg(req, "to")
    if end < start:
        raise _partner_error("to", "to must not be before from")
    page, limit = _paging(req)
    days = (end - start).days + 1
    rows = []
    for i, (code, store) in enumerate(sorted(req.store.partner_stores.items())):
        visits = (i + 1) * 37 * days
        rows.append(
            {
                "code": code,
                "stats": {
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                    "currency": store.get("currency", req.store.info["currency"]),
                    "visits": visits,
                    "orders": {"count": visits // 50, "total": float(visits // 50 * 25)},
                    "daily_visits": [],
                    "best_sold": [],
                    "payment_methods": [],
                    "shipping_methods": [],
                    "referrers": [],
                    "traffic_type": [],
                },
            }
        )
    start_at = (page - 1) * limit
    return _ok(rows[start_at : start_at + limit])


def partner_store_status(req: Request) -> Response:
    code = req.arg("store_code")
    if not code:
        raise _partner_error("store_code", "store_code is required")
    store = req.store.partner_stores.get(code)
    if store is None:
        raise _partner_error("store_code", "Store not found")
    return _ok(
        {
            "store": {
                "code": code,
                "email_partner": store["email"],
                "name": store["name"],
                "redirect_url": f"https://{code}.jumpseller.com/admin",
            }
        }
    )


def partner_store_create(req: Request) -> Response:
    body = _clean(req.body) if isinstance(req.body, dict) else {}
    if isinstance(body.get("store"), dict):
        body = body["store"]
    wrong = _type_errors(body, FIELD_TYPES[BODIES["POST", "/store/create.json"][1]])
    if wrong:
        name, problems = next(iter(wrong.items()))
        raise _partner_error(name, f"{name} {problems[0]}")
    for name in ("store_name", "email", "password"):
        if not body.get(name):
            raise _partner_error(name, f"{name} is required")
    base = re.sub(r"[^a-z0-9]+", "", str(body["store_name"]).lower()) or "store"
    code = base
    stores = req.store.partner_stores
    if code in stores:
        if body.get("reject_duplicates"):
            raise _partner_error("store_name", "Store name is already in use")
        n = 2
        while f"{base}{n}" in stores:
            n += 1
        code = f"{base}{n}"
    stores[code] = {
        "name": body["store_name"],
        "email": body["email"],
        "plan": body.get("plan_name") or "pro",
        "locale": body.get("locale") or "en",
        "currency": req.store.info["currency"],
    }
    return _ok({"store": {"code": code}}, req.create_status)


# ---------------------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------------------


def _crud(
    prefix: str, res: Resource, ops: str, *, count: bool = False
) -> list[tuple[str, str, Handler]]:
    """Routes for ``L``ist, ``C``reate, ``G``et, ``U``pdate, ``D``elete (as given in ops)."""
    rows: list[tuple[str, str, Handler]] = []
    if "L" in ops:
        rows.append(("GET", f"{prefix}.json", res.list))
    if "C" in ops:
        rows.append(("POST", f"{prefix}.json", res.create))
    if count:
        rows.append(("GET", f"{prefix}/count.json", res.count))
    if "G" in ops:
        rows.append(("GET", f"{prefix}/{{id}}.json", res.get))
    if "U" in ops:
        rows.append(("PUT", f"{prefix}/{{id}}.json", res.update))
    if "D" in ops:
        rows.append(("DELETE", f"{prefix}/{{id}}.json", res.delete))
    return rows


def _product_sub(name: str, sub: ProductSub, ops: str) -> list[tuple[str, str, Handler]]:
    base = f"/products/{{id}}/{name}"
    rows: list[tuple[str, str, Handler]] = [
        ("GET", f"{base}.json", sub.list),
        ("POST", f"{base}.json", sub.create),
        ("GET", f"{base}/count.json", sub.count),
        ("GET", f"{base}/{{{sub.param}}}.json", sub.get),
        ("DELETE", f"{base}/{{{sub.param}}}.json", sub.delete),
    ]
    if "U" in ops:
        rows.append(("PUT", f"{base}/{{{sub.param}}}.json", sub.update))
    return [r for r in rows if r[0] != "DELETE" or "D" in ops]


_TABLE: list[tuple[str, str, Handler]] = [
    *_crud("/categories", CATEGORIES, "LCGUD", count=True),
    *_crud("/checkout_custom_fields", CHECKOUT_FIELDS, "LCGUD"),
    ("GET", "/countries.json", countries_list),
    ("GET", "/countries/{country_code}.json", country_get),
    ("GET", "/countries/{country_code}/regions.json", regions_list),
    ("GET", "/countries/{country_code}/regions/{region_code}.json", region_get),
    *_crud("/custom_fields", CUSTOM_FIELDS, "LCGUD"),
    ("GET", "/custom_fields/{id}/select_options.json", select_options_list),
    ("POST", "/custom_fields/{id}/select_options.json", select_option_create),
    (
        "GET",
        "/custom_fields/{id}/select_options/{custom_field_select_option_id}.json",
        select_option_get,
    ),
    (
        "PUT",
        "/custom_fields/{id}/select_options/{custom_field_select_option_id}.json",
        select_option_update,
    ),
    (
        "DELETE",
        "/custom_fields/{id}/select_options/{custom_field_select_option_id}.json",
        select_option_delete,
    ),
    *_crud("/customer_categories", CUSTOMER_CATEGORIES, "LCGUD"),
    ("GET", "/customer_categories/{id}/customers.json", category_customers_list),
    ("POST", "/customer_categories/{id}/customers.json", category_customers_add),
    ("DELETE", "/customer_categories/{id}/customers.json", category_customers_remove),
    *_crud("/customers", CUSTOMERS, "LCGUD", count=True),
    ("GET", "/customers/email/{email}.json", customer_by_email),
    ("GET", "/customers/{id}/fields", customer_fields_list),
    ("POST", "/customers/{id}/fields", customer_field_create),
    ("GET", "/customers/{id}/fields/{field_id}", customer_field_get),
    ("PUT", "/customers/{id}/fields/{field_id}", customer_field_update),
    ("DELETE", "/customers/{id}/fields/{field_id}", customer_field_delete),
    *_crud("/fulfillments", FULFILLMENTS, "LG", count=True),
    ("GET", "/order/{id}/fulfillments.json", order_fulfillments),
    *_crud("/hooks", HOOKS, "LCGUD"),
    ("GET", "/jsapps.json", jsapps_list),
    ("POST", "/jsapps.json", jsapp_create),
    ("GET", "/jsapps/{code}.json", jsapp_get),
    ("DELETE", "/jsapps/{code}.json", jsapp_delete),
    *_crud("/orders", ORDERS, "LG", count=True),
    ("POST", "/orders.json", order_create),
    ("PUT", "/orders/{id}.json", order_update),
    ("GET", "/orders/after/{id}.json", orders_after),
    ("GET", "/orders/status/{status}.json", orders_status),
    ("GET", "/orders/{id}/history.json", order_history_list),
    ("POST", "/orders/{id}/history.json", order_history_create),
    *_crud("/pages", PAGES, "LCGUD", count=True),
    ("GET", "/partners/stores.json", partner_stores),
    *_crud("/payment_methods", PAYMENT_METHODS, "LG"),
    *_crud("/products", PRODUCTS, "LCGUD", count=True),
    ("GET", "/products/after/{id}.json", products_after),
    ("GET", "/products/category/{category_id}.json", products_category),
    ("GET", "/products/category/{category_id}/count.json", products_category_count),
    ("GET", "/products/search.json", products_search),
    ("GET", "/products/status/{status}.json", products_status),
    ("GET", "/products/status/{status}/count.json", products_status_count),
    *_product_sub("attachments", ATTACHMENTS, "D"),
    *_product_sub("digital_products", DIGITAL, "D"),
    *_product_sub("images", IMAGES, "D"),
    *_product_sub("options", OPTIONS, "UD"),
    *_product_sub("variants", VARIANTS, "U"),
    ("GET", "/products/{id}/fields.json", product_fields_list),
    ("POST", "/products/{id}/fields.json", product_field_create),
    ("GET", "/products/{id}/fields/count.json", product_fields_count),
    ("PUT", "/products/{product_id}/fields/{field_id}.json", product_field_update),
    ("DELETE", "/products/{product_id}/fields/{field_id}.json", product_field_delete),
    ("GET", "/products/{id}/options/{option_id}/values.json", option_values_list),
    ("POST", "/products/{id}/options/{option_id}/values.json", option_value_create),
    ("GET", "/products/{id}/options/{option_id}/values/count.json", option_values_count),
    ("GET", "/products/{id}/options/{option_id}/values/{value_id}.json", option_value_get),
    ("PUT", "/products/{id}/options/{option_id}/values/{value_id}.json", option_value_update),
    ("DELETE", "/products/{id}/options/{option_id}/values/{value_id}.json", option_value_delete),
    *_crud("/promotions", PROMOTIONS, "LCGUD"),
    *_crud("/shipping_methods", SHIPPING_METHODS, "LCGUD"),
    ("GET", "/store/check_status.json", partner_store_status),
    ("POST", "/store/create.json", partner_store_create),
    ("GET", "/store/info.json", store_info),
    ("GET", "/store/languages.json", store_languages),
    *_crud("/taxes", TAXES, "LCG"),
]

# Imported last: _official builds its handlers on the helpers and resources above.
from ._official import OFFICIAL_TABLE  # noqa: E402

_TABLE += OFFICIAL_TABLE

ROUTES: list[tuple[str, str, Handler]] = [
    (method, path, _typechecked(method, path, handler)) for method, path, handler in _TABLE
]
