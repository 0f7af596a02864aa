"""Webhook subscriptions: ``/hooks``."""

from __future__ import annotations

from .._http import HTTPError
from .._store import Record, Store, now_iso
from ._resource import Resource

__all__ = ["HOOKS"]


def _prepare_hook(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if not record.get("url"):
        raise HTTPError(422, "Url can't be blank")
    if not record.get("event"):
        raise HTTPError(422, "Event can't be blank")
    record.setdefault("name", None)
    record.pop("updated_at", None)


HOOKS = Resource(
    "hooks", "hook", "Hook", prepare=_prepare_hook, defaults=lambda s: {"created_at": now_iso()}
)
