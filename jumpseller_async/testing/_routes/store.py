"""The store itself: info, languages, setup of new stores and the ledger balance."""

from __future__ import annotations

import secrets

from .._http import HTTPError, Request, Response
from ._base import _fields, _ok

__all__ = ["ledger_balance", "store_info", "store_languages", "store_setup"]


def store_info(req: Request) -> Response:
    # Both specs show an unwrapped object; live stores answer {"store": {...}}.
    return _ok({"store": dict(req.store.info)})


def store_languages(req: Request) -> Response:
    return _ok([dict(lang) for lang in req.store.languages])


def store_setup(req: Request) -> Response:
    fields = _fields(req, "store")
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip():
        raise HTTPError(400, "Bad Request - invalid name")
    base = "".join(c for c in name.lower() if c.isalnum()) or "store"
    code, n = base, 2
    while code in req.store.setup_stores:
        code, n = f"{base}{n}", n + 1
    req.store.setup_stores[code] = {"name": name, "country": fields.get("country")}
    return _ok(
        {
            "store": {
                "code": code,
                "name": name,
                "url": f"https://{code}.jumpseller.com",
                "admin_url": f"https://jumpseller.com/admin/{code}",
            },
            # New stores get their own credentials; never the ones of the store asking.
            "credentials": {"login": secrets.token_hex(16), "authtoken": secrets.token_hex(16)},
        },
        req.create_status,
    )


def ledger_balance(req: Request) -> Response:
    currency = str(req.store.info.get("currency") or "")
    balance = req.store.balance
    return _ok(
        [
            {
                "balance": balance,
                "currency": currency,
                "balance_formatted": f"{balance:,.2f} {currency}",
            }
        ]
    )
