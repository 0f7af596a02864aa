"""Partner operations (authenticated with partner_code/auth_token; errors shaped their own way)."""

from __future__ import annotations

import datetime as dt
import re

from .._fieldtypes import BODIES, FIELD_TYPES
from .._http import HTTPError, Request, Response
from ._base import _clean, _ok, _paging
from ._checks import _type_errors

__all__ = ["partner_store_create", "partner_store_status", "partner_stores"]


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
