"""What the checkout offers: payment methods, shipping methods, taxes and promotions."""

from __future__ import annotations

from .._http import HTTPError, Request, Response
from .._store import Record, Store
from ._base import _fields, _ok
from ._resource import Resource

__all__ = ["PAYMENT_METHODS", "PROMOTIONS", "SHIPPING_METHODS", "TAXES", "payment_method_create"]


def _prepare_tax(store: Store, record: Record, changes: Record, creating: bool) -> None:
    # The request calls the amount "tax" (inside the "tax" wrapper); answers call it tax_amount.
    if "tax" in record:
        record["tax_amount"] = record.pop("tax")
    for key in ("name", "country", "region", "category_id", "tax_amount"):
        record.setdefault(key, None)
    record.setdefault("fixed", False)
    record.setdefault("shipping", False)


def _prepare_shipping_method(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if creating:
        record.setdefault("type", "flat")
        record.setdefault("enabled", True)
        for key in ("callback_url", "fetch_services_url", "state", "city", "postal"):
            record.setdefault(key, None)
        for key in ("fee", "services", "tables"):
            record.setdefault(key, [])


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


PROMOTIONS = Resource("promotions", "promotion", "Promotion", prepare=_prepare_promotion)


PAYMENT_METHODS = Resource("payment_methods", "payment_method", "Payment method")
SHIPPING_METHODS = Resource(
    "shipping_methods", "shipping_method", "Shipping method", prepare=_prepare_shipping_method
)
TAXES = Resource("taxes", "tax", "Tax", prepare=_prepare_tax)


def payment_method_create(req: Request) -> Response:
    fields = _fields(req, "payment_method")
    if not fields.get("name"):
        raise HTTPError(422, "Name can't be blank")
    record = {"type": "external_payment_gateway", "name": fields["name"]}
    record = req.store.payment_methods.insert(record)
    return _ok(PAYMENT_METHODS.out(req, record), req.create_status)
