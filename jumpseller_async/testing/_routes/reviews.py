"""Product reviews (official spec only): read from the seeded store."""

from __future__ import annotations

from .._http import HTTPError, Request, Response
from .._store import Record, public
from ._base import _id, _ok, _page_of, _paging, _wrap
from .products import _product

__all__ = ["product_reviews_list", "review_get", "reviews_list"]


def _review_out(record: Record) -> Record:
    return _wrap("review", public(record))


def reviews_list(req: Request) -> Response:
    page, limit = _paging(req)
    return _ok([_review_out(r) for r in req.store.reviews.page(page, limit)])


def product_reviews_list(req: Request) -> Response:
    product_id = int(_product(req)["id"])
    mine = [r for r in req.store.reviews if r.get("product_id") == product_id]
    return _ok([_review_out(r) for r in _page_of(req, mine)])


def review_get(req: Request) -> Response:
    record = req.store.reviews.get(_id(req, "review_id", "Review"))
    if record is None:
        raise HTTPError(404, "Review not found")
    return _ok(_review_out(record))
