"""Customer categories and the customers in them."""

from __future__ import annotations

from .. import _seed
from .._http import HTTPError, Request, Response
from .._store import Record, Store, as_int
from ._base import _id, _ok, _paging
from ._resource import Resource
from .customers import CUSTOMERS

__all__ = [
    "CUSTOMER_CATEGORIES",
    "category_customer_remove",
    "category_customers_add",
    "category_customers_list",
    "category_customers_remove",
]


def _prepare_customer_category(
    store: Store, record: Record, changes: Record, creating: bool
) -> None:
    if creating and not record.get("code"):
        record["code"] = _seed.slugify(str(record.get("name") or "category"))


CUSTOMER_CATEGORIES = Resource(
    "customer_categories",
    "customer_category",
    "Customer category",
    inputs=("category",),
    prepare=_prepare_customer_category,
)


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
