"""Generic CRUD over one top-level collection of the store (:class:`Resource`)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

from .._http import HTTPError, Request, Response
from .._store import Collection, Record, Store, public, stamp
from ._base import _count, _deleted, _fields, _id, _merge, _ok, _paging, _wrap

__all__ = ["Prepare", "Render", "Resource"]


def _render_plain(store: Store, record: Record) -> Record:
    return public(record)


Render = Callable[[Store, Record], Record]
Prepare = Callable[[Store, Record, Record, bool], None]


class Resource:
    """CRUD handlers for one top-level collection."""

    def __init__(
        self,
        attr: str,
        wrapper: str,
        label: str,
        *,
        inputs: Sequence[str] = (),
        render: Render = _render_plain,
        prepare: Prepare | None = None,
        defaults: Callable[[Store], Record] | None = None,
        id_param: str = "id",
        managed: Sequence[str] = (),
    ) -> None:
        self.attr = attr
        self.wrapper = wrapper
        self.label = label
        self.inputs = (wrapper, *inputs)
        self.render = render
        self.prepare = prepare
        self.defaults = defaults
        self.id_param = id_param
        # Keys owned by sub-resource routes: an update that echoes them back changes nothing.
        self.managed = frozenset(managed)

    def coll(self, req: Request) -> Collection:
        collection: Collection = getattr(req.store, self.attr)
        return collection

    def out(self, req: Request, record: Record) -> Record:
        return _wrap(self.wrapper, self.render(req.store, record))

    def find(self, req: Request) -> tuple[int, Record]:
        item_id = _id(req, self.id_param, self.label)
        record = self.coll(req).get(item_id)
        if record is None:
            raise HTTPError(404, f"{self.label} not found")
        return item_id, record

    def list(self, req: Request) -> Response:
        page, limit = _paging(req)
        return _ok([self.out(req, r) for r in self.coll(req).page(page, limit)])

    def count(self, req: Request) -> Response:
        return _count(len(self.coll(req)))

    def get(self, req: Request) -> Response:
        return _ok(self.out(req, self.find(req)[1]))

    def create(self, req: Request) -> Response:
        changes = _fields(req, *self.inputs)
        record: Record = self.defaults(req.store) if self.defaults else {}
        _merge(record, changes)
        if self.prepare:
            self.prepare(req.store, record, changes, True)
        record = self.coll(req).insert(record)
        return _ok(self.out(req, record), req.create_status)

    def update(self, req: Request) -> Response:
        item_id, current = self.find(req)
        changes = {k: v for k, v in _fields(req, *self.inputs).items() if k not in self.managed}
        # Changed on a copy: an update refused by prepare (422) leaves the record as it was.
        updated = copy.deepcopy(current)
        _merge(updated, changes)
        if self.prepare:
            self.prepare(req.store, updated, changes, False)
        if "updated_at" in updated:
            stamp(updated, "updated_at")
        record = self.coll(req).materialize(item_id)
        assert record is not None
        record.clear()
        record.update(updated)
        return _ok(self.out(req, record))

    def delete(self, req: Request) -> Response:
        item_id, _ = self.find(req)
        self.coll(req).delete(item_id)
        return _deleted(self.label)
