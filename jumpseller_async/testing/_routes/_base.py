"""Request parsing and answers every route module shares.

Reading the wrapped body (inputs normalised the way Jumpseller stores them), partial updates,
path ids and paging arguments, the fake's pagination, and the small answer shapes (a record in
its wrapper, a count, a deletion message). Names keep their underscore: they are this
package's plumbing, not handlers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._http import HTTPError, Request, Response
from .._store import Record, as_int, now_iso

_READ_ONLY = frozenset({"id", "created_at", "updated_at"})

# These authenticate with partner_code/auth_token instead of the store's credentials.
PARTNER_PATHS = frozenset(
    {"/partners/stores.json", "/store/check_status.json", "/store/create.json"}
)


def _clean(value: Any) -> Any:
    """Input normalised the way Jumpseller stores it: empty strings become null."""
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _merge(target: Record, changes: Record) -> None:
    """Partial update: only the given keys change; nested objects merge key by key."""
    for key, value in changes.items():
        if key in _READ_ONLY:
            continue
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged = dict(current)
            _merge(merged, value)
            target[key] = merged
        else:
            target[key] = value


def _fields(req: Request, *wrappers: str) -> Record:
    """The object inside the request's wrapper key (the first of ``wrappers`` found)."""
    body = req.body
    if isinstance(body, dict):
        for wrapper in wrappers:
            inner = body.get(wrapper)
            if isinstance(inner, dict):
                cleaned: Record = _clean(inner)
                return cleaned
    raise HTTPError(400, f"Missing parameter: expected a JSON object under {wrappers[0]!r}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int_arg(req: Request, name: str, default: int) -> int:
    raw = req.arg(name)
    if raw is None or raw == "":
        return default
    value = as_int(raw)
    if value is None:
        raise HTTPError(400, f"{name} must be an integer")
    return value


def _paging(req: Request) -> tuple[int, int]:
    page = _int_arg(req, "page", 1)
    limit = _int_arg(req, "limit", req.default_limit)
    if limit > req.max_limit:
        raise HTTPError(400, f"limit must be less than or equal to {req.max_limit}")
    if limit < 1:
        raise HTTPError(400, "limit must be greater than 0")
    if page < 1:
        raise HTTPError(400, "page must be greater than 0")
    return page, limit


def _id(req: Request, name: str, label: str) -> int:
    value = as_int(req.params.get(name))
    if value is None:
        raise HTTPError(404, f"{label} not found")
    return value


def _ok(body: Any, status: int = 200) -> Response:
    return Response(status, body)


def _count(n: int) -> Response:
    return _ok({"count": n})


def _deleted(label: str) -> Response:
    return _ok({"message": f"{label} deleted"})


def _wrap(wrapper: str, record: Record) -> Record:
    return {wrapper: record}


def _timestamps() -> Record:
    now = now_iso()
    return {"created_at": now, "updated_at": now}


def _category_ids(raw: Any) -> list[int]:
    ids: list[int] = []
    for item in raw if isinstance(raw, list) else []:
        value = as_int(item.get("id") if isinstance(item, dict) else item)
        if value is not None:
            ids.append(value)
    return ids


def _find(items: Sequence[Record], item_id: int | None, label: str) -> Record:
    for item in items:
        if item_id is not None and item.get("id") == item_id:
            return item
    raise HTTPError(404, f"{label} not found")


def _page_of(req: Request, items: list[Any]) -> list[Any]:
    page, limit = _paging(req)
    start = (page - 1) * limit
    return items[start : start + limit]
