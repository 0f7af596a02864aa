"""Customers: the resource, lookup by email, additional fields, their orders and search."""

from __future__ import annotations

from .._http import HTTPError, Request, Response
from .._store import Record, Store, as_int, public
from ._base import _category_ids, _deleted, _fields, _find, _id, _ok, _page_of, _paging, _wrap
from ._resource import Resource
from .orders import ORDERS, _order_status

__all__ = [
    "CUSTOMERS",
    "customer_by_email",
    "customer_field_create",
    "customer_field_delete",
    "customer_field_get",
    "customer_field_update",
    "customer_fields_list",
    "customer_orders",
    "customer_orders_status",
    "customers_search",
]


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


CUSTOMERS = Resource(
    "customers",
    "customer",
    "Customer",
    render=_render_customer,
    prepare=_prepare_customer,
    defaults=_customer_defaults,
    managed=("customer_additional_fields",),
)


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
