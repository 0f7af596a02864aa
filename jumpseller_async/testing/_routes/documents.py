"""Order documents (invoices, credit notes; official spec only)."""

from __future__ import annotations

from .._http import HTTPError, Request, Response
from .._store import Record, public
from ._base import _clean, _deleted, _ok, _page_of, _wrap
from ._checks import _expect
from .orders import _order

__all__ = [
    "documents_list",
    "order_document_create",
    "order_document_delete",
    "order_document_update",
    "order_documents_list",
]


def _document_out(order_id: int, record: Record) -> Record:
    return _wrap("document", {**public(record), "order_id": order_id})


_DOCUMENT_TYPES = {"document_type": "integer", "external_id": "string", "url": "string"}


def _document_fields(req: Request) -> Record:
    body = req.body
    if isinstance(body, dict) and isinstance(body.get("document"), dict):
        fields: Record = _clean(body["document"])
    elif isinstance(body, dict):
        fields = _clean(body)
    else:
        raise HTTPError(400, "Missing parameter: expected a JSON object under 'document'")
    for name, kind in _DOCUMENT_TYPES.items():
        if name in fields:
            _expect(fields[name], kind, name)
    if fields.get("document_type") not in (None, 0, 1):
        raise HTTPError(422, "document_type must be 0 (credit note) or 1 (invoice)")
    return fields


def order_documents_list(req: Request) -> Response:
    order_id = int(_order(req)["id"])
    docs = req.store.order_documents.get(order_id, [])
    return _ok([_document_out(order_id, d) for d in docs])


def order_document_create(req: Request) -> Response:
    order_id = int(_order(req)["id"])
    fields = _document_fields(req)
    if not fields.get("url"):
        raise HTTPError(422, "Url can't be blank")
    record = {
        "document_type": fields.get("document_type"),
        "external_id": fields.get("external_id"),
        "public_id": f"doc-{req.store.next_sub_id('document')}",
        "url": fields["url"],
        "app_code": fields.get("app_code"),
    }
    req.store.order_documents.setdefault(order_id, []).append(record)
    return _ok(_document_out(order_id, record), req.create_status)


def _document(req: Request) -> tuple[int, Record]:
    order_id = int(_order(req)["id"])
    public_id = req.params["public_id"]
    for record in req.store.order_documents.get(order_id, []):
        if record.get("public_id") == public_id:
            return order_id, record
    raise HTTPError(404, "Document not found")


def order_document_update(req: Request) -> Response:
    order_id, record = _document(req)
    fields = _document_fields(req)
    fields.pop("public_id", None)  # the id names the document; it does not change
    for key in ("document_type", "external_id", "url"):
        if key in fields:
            record[key] = fields[key]
    return _ok(_document_out(order_id, record))


def order_document_delete(req: Request) -> Response:
    order_id, record = _document(req)
    req.store.order_documents[order_id].remove(record)
    return _deleted("Document")


def documents_list(req: Request) -> Response:
    every = [
        _document_out(order_id, d)
        for order_id in sorted(req.store.order_documents)
        for d in req.store.order_documents[order_id]
    ]
    return _ok(_page_of(req, every))
