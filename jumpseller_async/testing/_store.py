"""In-memory state of the fake store.

A :class:`Collection` keeps its live ids in a sorted ``array`` and only materialises the
items somebody created or changed; every other item is regenerated from the seed when it
is read. That keeps a million seeded products cheap while CRUD stays ordinary dict work.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from . import _seed
from ._seed import Record, Seeder

__all__ = ["Collection", "Record", "Store"]


class Collection:
    """Items of one resource kind, ordered by id.

    ``generate(index)`` builds the seeded item at ``index`` (id ``base + index * stride``);
    ``light(index)`` builds the cheap subset that filters read. Records returned by
    :meth:`get` for unmodified seeded items are fresh copies: call :meth:`materialize`
    before changing one in place, and :meth:`touch` after changing a stored record
    directly, so cached filters (status, category, search) are recomputed.
    """

    def __init__(
        self,
        name: str,
        *,
        base: int,
        stride: int = 1,
        seeded: int = 0,
        generate: Callable[[int], Record] | None = None,
        light: Callable[[int], Record] | None = None,
    ) -> None:
        if seeded and generate is None:
            raise ValueError("seeded items need a generator")
        self.name = name
        self.base = base
        self.stride = stride
        self.seeded = seeded
        self._generate = generate
        self._light = light or generate
        self.ids = array("q", range(base, base + seeded * stride, stride))
        self._records: dict[int, Record] = {}
        self._next_id = base + seeded * stride
        self.version = 0
        self._filters: dict[Hashable, tuple[int, array[int]]] = {}

    # -- lookup ----------------------------------------------------------------------------

    def seeded_index(self, item_id: int) -> int | None:
        offset = item_id - self.base
        if offset < 0 or offset % self.stride:
            return None
        index = offset // self.stride
        return index if index < self.seeded else None

    def __contains__(self, item_id: object) -> bool:
        if not isinstance(item_id, int):
            return False
        pos = bisect_left(self.ids, item_id)
        return pos < len(self.ids) and self.ids[pos] == item_id

    def __len__(self) -> int:
        return len(self.ids)

    def get(self, item_id: int) -> Record | None:
        record = self._records.get(item_id)
        if record is not None:
            return record
        if item_id not in self:
            return None
        index = self.seeded_index(item_id)
        if index is None or self._generate is None:
            return None
        return self._generate(index)

    def is_materialized(self, item_id: int) -> bool:
        return item_id in self._records

    def materialize(self, item_id: int) -> Record | None:
        """The stored record, generated and kept if needed, ready for in-place changes."""
        record = self.get(item_id)
        if record is not None:
            self._records[item_id] = record
            self.touch()
        return record

    def light(self, item_id: int) -> Record | None:
        """Cheap view for filters: the full record when materialised, else the light one."""
        record = self._records.get(item_id)
        if record is not None:
            return record
        index = self.seeded_index(item_id)
        if index is None or self._light is None:
            return None
        return self._light(index)

    def materialized(self) -> Iterator[Record]:
        return iter(list(self._records.values()))

    def __iter__(self) -> Iterator[Record]:
        for item_id in self.ids:
            record = self.get(item_id)
            if record is not None:
                yield record

    # -- changes ---------------------------------------------------------------------------

    def touch(self) -> None:
        self.version += 1

    def new_id(self) -> int:
        item_id = self._next_id
        self._next_id += self.stride
        return item_id

    def insert(self, record: Record, *, item_id: int | None = None) -> Record:
        """Store ``record`` under a new id, larger than every id ever used.

        ``item_id`` is for callers that needed the id before building the record; it must
        come from :meth:`new_id`.
        """
        if item_id is None:
            item_id = self.new_id()
        elif item_id >= self._next_id or (self.ids and item_id <= self.ids[-1]):
            raise ValueError(f"{item_id} was not allocated by new_id()")
        record = {"id": item_id, **{k: v for k, v in record.items() if k != "id"}}
        self.ids.append(item_id)
        self._records[item_id] = record
        self.touch()
        return record

    def delete(self, item_id: int) -> bool:
        pos = bisect_left(self.ids, item_id)
        if pos >= len(self.ids) or self.ids[pos] != item_id:
            return False
        del self.ids[pos]
        self._records.pop(item_id, None)
        self.touch()
        return True

    # -- listing ---------------------------------------------------------------------------

    def _records_for(self, ids: array[int] | list[int]) -> list[Record]:
        out = []
        for item_id in ids:
            record = self.get(item_id)
            if record is not None:
                out.append(record)
        return out

    def page(self, page: int, limit: int, ids: array[int] | None = None) -> list[Record]:
        source = self.ids if ids is None else ids
        start = (page - 1) * limit
        return self._records_for(source[start : start + limit])

    def after(
        self, after_id: int, page: int, limit: int, ids: array[int] | None = None
    ) -> list[Record]:
        source = self.ids if ids is None else ids
        start = bisect_right(source, after_id) + (page - 1) * limit
        return self._records_for(source[start : start + limit])

    def filtered(
        self,
        key: Hashable,
        predicate: Callable[[Record], bool],
        seeded: Callable[[int], bool] | None = None,
    ) -> array[int]:
        """Ids of the items that satisfy the filter, cached until the collection changes.

        ``predicate`` sees stored records (or light views); ``seeded(index)``, when given,
        decides for untouched seeded items without building anything.
        """
        cached = self._filters.get(key)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        matched = array("q")
        records, base, stride, light = self._records, self.base, self.stride, self._light
        for item_id in self.ids:
            record = records.get(item_id)
            if record is not None:
                ok = predicate(record)
            else:
                # Ids without a stored record are always seeded ones.
                index = (item_id - base) // stride
                if seeded is not None:
                    ok = seeded(index)
                else:
                    ok = light is not None and predicate(light(index))
            if ok:
                matched.append(item_id)
        self._filters[key] = (self.version, matched)
        return matched


def now_iso() -> str:
    return _seed.iso_z(dt.datetime.now(dt.timezone.utc))


def now_order_time() -> str:
    return _seed.order_time(dt.datetime.now(dt.timezone.utc))


class Store:
    """Everything the fake store holds. Tests may read and change it directly.

    Collections (``store.products``, ``store.orders``, ...) hold records in their stored
    form: product categories as ``_category_ids`` and sub-resources under keys starting
    with ``_``; the HTTP layer renders them into API shapes.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        login: str = "demo-store",
        products: int = 120,
        customers: int = 80,
        orders: int = 150,
        categories: int = 12,
        quirks: bool = True,
    ) -> None:
        for label, count in (
            ("products", products),
            ("customers", customers),
            ("orders", orders),
            ("categories", categories),
        ):
            if count < 0:
                raise ValueError(f"{label} must be >= 0")
        s = self.seeder = Seeder(
            seed,
            login=login,
            products=products,
            customers=customers,
            orders=orders,
            categories=categories,
            quirks=quirks,
        )
        self.categories = Collection(
            "category",
            base=_seed.CATEGORY_BASE,
            stride=_seed.CATEGORY_STRIDE,
            seeded=categories,
            generate=s.category,
        )
        self.products = Collection(
            "product",
            base=_seed.PRODUCT_BASE,
            stride=_seed.PRODUCT_STRIDE,
            seeded=products,
            generate=s.product,
            light=s.product_light,
        )
        self.customers = Collection(
            "customer",
            base=_seed.CUSTOMER_BASE,
            stride=_seed.CUSTOMER_STRIDE,
            seeded=customers,
            generate=s.customer,
            light=s.customer_light,
        )
        self.orders = Collection(
            "order",
            base=_seed.ORDER_BASE,
            stride=_seed.ORDER_STRIDE,
            seeded=orders,
            generate=s.order,
            light=lambda i: {"id": s.order_id(i), "status": s.order_status(i)},
        )
        self.fulfillments = Collection(
            "fulfillment",
            base=_seed.FULFILLMENT_BASE,
            stride=_seed.FULFILLMENT_STRIDE,
            seeded=s.n_fulfillments,
            generate=s.fulfillment,
        )
        self.pages = self._eager("page", _seed.PAGE_BASE, s.pages())
        self.promotions = self._eager("promotion", _seed.PROMOTION_BASE, s.promotions())
        self.hooks = self._eager("hook", _seed.HOOK_BASE, s.hooks())
        self.payment_methods = self._eager(
            "payment_method", _seed.PAYMENT_METHOD_BASE, s.payment_methods()
        )
        self.shipping_methods = self._eager(
            "shipping_method", _seed.SHIPPING_METHOD_BASE, s.shipping_methods()
        )
        self.taxes = self._eager("tax", _seed.TAX_BASE, s.taxes())
        self.checkout_custom_fields = self._eager(
            "checkout_custom_field", _seed.CHECKOUT_FIELD_BASE, s.checkout_custom_fields()
        )
        self.customer_categories = self._eager(
            "customer_category", _seed.CUSTOMER_CATEGORY_BASE, s.customer_categories()
        )
        self.apps = self._eager("app", _seed.APP_BASE, s.apps())
        self.jsapps = self._eager("js_app", _seed.JSAPP_BASE, s.jsapps())
        self.custom_fields = Collection("custom_field", base=_seed.CUSTOM_FIELD_BASE)
        select_ids = itertools.count(_seed.SELECT_OPTION_BASE)
        for fields, options in s.custom_fields():
            self.custom_fields.insert(
                {**fields, "_options": [{"id": next(select_ids), "value": v} for v in options]}
            )
        self.info: Record = s.store_info()
        self.languages: list[Record] = s.languages()
        self.countries: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = dict(_seed.COUNTRIES)
        self.partner_stores: dict[str, Record] = {}
        # What only the official spec documents (locations, reviews, documents, ...).
        self.locations = self._eager("location", _seed.LOCATION_BASE, s.locations())
        self.reviews = self._eager("review", _seed.REVIEW_BASE, s.reviews())
        self.order_documents: dict[int, list[Record]] = {}
        """Order id -> its documents (invoices, credit notes), in creation order."""
        if orders:
            first = s.order_id(0)  # seeded order 0 is paid: it has its invoice
            self.order_documents[first] = [
                {
                    "document_type": 1,
                    "external_id": "F-1001",
                    "public_id": "doc-seeded-1",
                    "url": f"https://invoices.example.com/{login}/F-1001.pdf",
                    "app_code": "invoicing",
                }
            ]
        self.page_images: dict[int, list[Record]] = {
            self.pages.ids[0]: [
                {
                    "id": _seed.PAGE_IMAGE_BASE,
                    "url": f"https://cdn.jumpseller.com/{login}/image/{_seed.PAGE_IMAGE_BASE}/about.jpg",
                }
            ]
        }
        """Page id -> its images."""
        self.location_stock: dict[tuple[int, int, int | None], Record] = {}
        """(location id, product id, variant id) -> {"stock", "stock_unlimited"} set by PUT."""
        self.setup_stores: dict[str, Record] = {}
        """Stores made by POST /store/setup.json, by code."""
        self.balance: float = 0.0

        # Sub-resources get ids above every seeded slot of their kind.
        self._sub_ids = {
            "variant": itertools.count(_seed.VARIANT_BASE + products * _seed.VARIANT_SLOTS),
            "image": itertools.count(_seed.IMAGE_BASE + products * _seed.IMAGE_SLOTS),
            "option": itertools.count(_seed.OPTION_BASE + products * _seed.OPTION_SLOTS),
            "option_value": itertools.count(
                _seed.OPTION_VALUE_BASE + products * _seed.OPTION_VALUE_SLOTS
            ),
            "digital_product": itertools.count(_seed.DIGITAL_PRODUCT_BASE + products),
            "attachment": itertools.count(_seed.ATTACHMENT_BASE + products),
            "product_field": itertools.count(_seed.PRODUCT_FIELD_BASE + products),
            "order_history": itertools.count(_seed.HISTORY_BASE + orders * _seed.HISTORY_SLOTS),
            "customer_field": itertools.count(_seed.CUSTOMER_FIELD_BASE + customers),
            "select_option": select_ids,
            "page_image": itertools.count(_seed.PAGE_IMAGE_BASE + 1),
            "document": itertools.count(1),
        }

    @staticmethod
    def _eager(name: str, base: int, rows: list[Record]) -> Collection:
        collection = Collection(name, base=base)
        for row in rows:
            collection.insert(row)
        return collection

    def next_sub_id(self, kind: str) -> int:
        return next(self._sub_ids[kind])

    # -- look-ups the HTTP layer needs -----------------------------------------------------

    def customer_by_email(self, email: str) -> Record | None:
        wanted = email.strip().lower()
        # Changed and created customers first: their email may differ from the seeded one.
        for record in self.customers.materialized():
            if str(record.get("email") or "").lower() == wanted:
                return record
        index = self.seeder.customer_index_from_email(wanted)
        if index is None or index >= self.customers.seeded:
            return None
        customer_id = self.seeder.customer_id(index)
        if self.customers.is_materialized(customer_id) or customer_id not in self.customers:
            return None
        if self.seeder.customer_light(index)["email"] != wanted:
            return None
        return self.customers.get(customer_id)

    def fulfillments_of_order(self, order_id: int) -> list[Record]:
        found: list[Record] = []
        index = self.orders.seeded_index(order_id)
        if index is not None and index % 2 == 0:
            fid = _seed.FULFILLMENT_BASE + (index // 2) * _seed.FULFILLMENT_STRIDE
            if not self.fulfillments.is_materialized(fid):
                record = self.fulfillments.get(fid)
                if record is not None:
                    found.append(record)
        found.extend(r for r in self.fulfillments.materialized() if r.get("order_id") == order_id)
        return sorted(found, key=lambda r: int(r["id"]))

    def category_view(self, category_id: int) -> Record | None:
        record = self.categories.get(category_id)
        if record is None:
            return None
        return {k: record.get(k) for k in ("id", "name", "parent_id", "permalink")}

    def customer_category_view(self, category_id: int) -> Record | None:
        record = self.customer_categories.get(category_id)
        if record is None:
            return None
        return {k: record.get(k) for k in ("id", "name", "code")}


def public(record: Record) -> Record:
    """The record without its private (underscore) keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def stamp(record: Record, *keys: str) -> None:
    value = now_iso()
    for key in keys:
        record[key] = value


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
        return None


def as_float(value: Any) -> float | None:
    """A finite float, or None."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None
