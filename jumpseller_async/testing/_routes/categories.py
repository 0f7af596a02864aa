"""Product categories: ``/categories``."""

from __future__ import annotations

from .. import _seed
from .._store import Record, Store
from ._resource import Resource

__all__ = ["CATEGORIES"]


def _prepare_category(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if creating and not record.get("permalink"):
        record["permalink"] = _seed.slugify(str(record.get("name") or "category"))
    record.setdefault("parent_id", None)


CATEGORIES = Resource("categories", "category", "Category", prepare=_prepare_category)
