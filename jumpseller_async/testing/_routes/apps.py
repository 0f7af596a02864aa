"""Apps: JsApps installed on the store, and paid apps' install status and billing cycles."""

from __future__ import annotations

import calendar
import datetime as dt

from .._http import HTTPError, Request, Response
from .._store import Record, as_int, public
from ._base import _fields, _ok, _wrap
from .orders import ORDERS

__all__ = [
    "STORE_ID",
    "app_billing_cycle_dates",
    "app_billing_cycle_orders",
    "app_check_billing_cycle_order",
    "app_install_status",
    "app_install_status_by_store",
    "jsapp_create",
    "jsapp_delete",
    "jsapp_get",
    "jsapps_list",
]


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


STORE_ID = 424_242
"""The fake store's numeric id (paid-app install status answers carry it)."""


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
