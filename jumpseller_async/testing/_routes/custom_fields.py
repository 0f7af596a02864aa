"""Product custom fields with their select options, and checkout custom fields."""

from __future__ import annotations

from .._http import HTTPError, Request, Response
from .._store import Record, Store, as_int, public
from ._base import _deleted, _fields, _find, _id, _merge, _ok, _wrap
from ._checks import _expect
from ._resource import Resource

__all__ = [
    "CHECKOUT_FIELDS",
    "CUSTOM_FIELDS",
    "select_option_create",
    "select_option_delete",
    "select_option_get",
    "select_option_update",
    "select_options_list",
]


def _render_custom_field(store: Store, record: Record) -> Record:
    # Both specs: values are the option values as strings; the options themselves (with
    # their ids) are served by /custom_fields/{id}/select_options.json.
    out = public(record)
    out["values"] = [
        o["value"] for o in record.get("_options", ()) if isinstance(o.get("value"), str)
    ]
    return out


def _prepare_custom_field(store: Store, record: Record, changes: Record, creating: bool) -> None:
    values = record.pop("values", None)
    if isinstance(values, list):
        # Strings (both specs); {"value": ...} objects, as select options read, are taken too.
        options = [v.get("value") if isinstance(v, dict) else v for v in values]
        for i, option in enumerate(options):
            _expect(option, "string", f"values[{i}]")
        record["_options"] = [
            {"id": store.next_sub_id("select_option"), "value": option}
            for option in options
            if option is not None
        ]
    record.setdefault("_options", [])
    record.setdefault("product_visibility", True)


def _prepare_checkout_field(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if creating:
        record.setdefault("type", "input")
        record.setdefault("area", "other")
        record.setdefault("required", False)
        record.setdefault("deletable", True)
        record.setdefault("custom_field_select_options", None)
        record.setdefault("position", len(store.checkout_custom_fields) + 1)


CUSTOM_FIELDS = Resource(
    "custom_fields",
    "custom_field",
    "Custom field",
    render=_render_custom_field,
    prepare=_prepare_custom_field,
)
CHECKOUT_FIELDS = Resource(
    "checkout_custom_fields",
    "checkout_custom_field",
    "Checkout custom field",
    prepare=_prepare_checkout_field,
)


def _custom_field(req: Request, *, write: bool = False) -> Record:
    field_id = _id(req, "id", "Custom field")
    fields = req.store.custom_fields
    record = fields.materialize(field_id) if write else fields.get(field_id)
    if record is None:
        raise HTTPError(404, "Custom field not found")
    return record


_SELECT = "custom_field_select_option"


def select_options_list(req: Request) -> Response:
    return _ok([_wrap(_SELECT, dict(o)) for o in _custom_field(req).get("_options", [])])


def select_option_get(req: Request) -> Response:
    item = _find(
        _custom_field(req).get("_options", []),
        as_int(req.params.get("custom_field_select_option_id")),
        "Select option",
    )
    return _ok(_wrap(_SELECT, dict(item)))


def select_option_create(req: Request) -> Response:
    _custom_field(req)
    fields = _fields(req, _SELECT)
    if not fields.get("value"):
        raise HTTPError(422, "Value can't be blank")
    record = _custom_field(req, write=True)
    item = {"id": req.store.next_sub_id("select_option"), "value": fields["value"]}
    record.setdefault("_options", []).append(item)
    return _ok(_wrap(_SELECT, dict(item)), req.create_status)


def select_option_update(req: Request) -> Response:
    option_id = as_int(req.params.get("custom_field_select_option_id"))
    _find(_custom_field(req).get("_options", []), option_id, "Select option")
    fields = _fields(req, _SELECT)
    if "value" in fields and not fields["value"]:
        raise HTTPError(422, "Value can't be blank")
    record = _custom_field(req, write=True)
    item = _find(record.get("_options", []), option_id, "Select option")
    _merge(item, fields)
    return _ok(_wrap(_SELECT, dict(item)))


def select_option_delete(req: Request) -> Response:
    option_id = as_int(req.params.get("custom_field_select_option_id"))
    _find(_custom_field(req).get("_options", []), option_id, "Select option")
    record = _custom_field(req, write=True)
    record["_options"] = [o for o in record.get("_options", []) if o.get("id") != option_id]
    return _deleted("Select option")
