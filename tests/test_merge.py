"""The official spec's merge (codegen/_merge.py, codegen/official.yaml), on small documents and
on the real pair."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen._merge import (
    OFFICIAL_PATH,
    SOURCE_KEY,
    MergeSet,
    build_spec,
    load_official,
    merge_official,
)
from codegen._spec import (
    PatchError,
    PatchReport,
    PatchSet,
    apply_pointer_patch,
    iter_operations,
    load_spec,
)

Json = Any
OPENAPI_TYPES = {"string", "number", "integer", "boolean", "array", "object"}


def doc(paths: Json, schemas: Json) -> Json:
    return {"openapi": "3.0.3", "paths": paths, "components": {"schemas": schemas}}


def ok(ref: str) -> Json:
    return {
        "responses": {
            "200": {
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}
            }
        }
    }


def merged(ours: Json, theirs: Json, merge: MergeSet | None = None) -> Json:
    ours = copy.deepcopy(ours)
    merge_official(ours, copy.deepcopy(theirs), merge or MergeSet([], [], {}), PatchReport())
    return ours


OURS = doc(
    {"/items.json": {"get": ok("Item")}},
    {
        "Item": {
            "type": "object",
            "properties": {"item": {"$ref": "#/components/schemas/ItemFields"}},
        },
        "ItemFields": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "price": {"type": "number"},
                "kind": {"type": "string", "enum": ["a", "b"]},
            },
        },
    },
)
THEIRS = doc(
    {
        "/items.json": {"get": ok("Item")},
        "/items/{id}/notes.json": {"get": ok("Note")},
    },
    {
        "Item": {
            "type": "object",
            "properties": {"item": {"$ref": "#/components/schemas/ItemFields"}},
        },
        "ItemFields": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "price": {"type": "string"},
                "kind": {"type": "string", "enum": ["b", "c"]},
                "brand": {"$ref": "#/components/schemas/Brand"},
            },
        },
        "Brand": {"type": "object", "properties": {"name": {"type": "string"}}},
        "Note": {"type": "object", "properties": {"text": {"type": "string"}}},
        "Unused": {"type": "object", "properties": {"x": {"type": "integer"}}},
    },
)


def test_new_operations_come_with_their_schemas_and_a_source() -> None:
    out = merged(OURS, THEIRS)
    assert out["paths"]["/items/{id}/notes.json"]["get"][SOURCE_KEY] == "official"
    assert out["paths"]["/items.json"]["get"][SOURCE_KEY] == "both"
    schemas = out["components"]["schemas"]
    assert schemas["Note"] == THEIRS["components"]["schemas"]["Note"]
    # Official schemas no operation uses are models too.
    assert "Unused" in schemas


def test_official_only_properties_are_added_and_apisguru_wins_a_clash() -> None:
    fields = merged(OURS, THEIRS)["components"]["schemas"]["ItemFields"]["properties"]
    assert fields["brand"] == {"$ref": "#/components/schemas/Brand"}
    assert fields["price"] == {"type": "number"}  # apis.guru's declaration, not "string"
    assert fields["kind"]["enum"] == ["a", "b", "c"]  # official values join as members


def test_wrapper_and_content_are_not_merged_into_each_other() -> None:
    theirs = copy.deepcopy(THEIRS)
    # The official answer is the bare content where apis.guru has the wrapper.
    theirs["paths"]["/items.json"]["get"] = ok("ItemFields")
    theirs["components"]["schemas"]["Item"] = {"type": "object", "properties": {}}
    item = merged(OURS, theirs)["components"]["schemas"]["Item"]["properties"]
    assert list(item) == ["item"]


def test_same_operation_under_two_paths_is_one() -> None:
    ours = doc(
        {"/apps/{code}.json": {"delete": ok("Item")}}, copy.deepcopy(OURS["components"]["schemas"])
    )
    theirs = doc({"/apps/{id}.json": {"delete": ok("Item")}}, {})
    same = [
        {"official": "DELETE /apps/{id}.json", "ours": "DELETE /apps/{code}.json", "reason": "r"}
    ]
    out = merged(ours, theirs, MergeSet([], same, {}))
    assert "/apps/{id}.json" not in out["paths"]
    assert out["paths"]["/apps/{code}.json"]["delete"][SOURCE_KEY] == "both"
    wrong = [{"official": "DELETE /apps/{id}.json", "ours": "DELETE /nope.json", "reason": "r"}]
    with pytest.raises(PatchError, match=re.escape("DELETE /nope.json is not in openapi.yaml")):
        merged(ours, theirs, MergeSet([], wrong, {}))


def test_aliases_point_official_names_at_apisguru_schemas() -> None:
    ours = doc({}, {"JSApp": {"type": "object", "properties": {"url": {"type": "string"}}}})
    theirs = doc(
        {"/jsapps/x.json": {"get": ok("JsApp")}},
        {
            "JsApp": {
                "type": "object",
                "properties": {"url": {"type": "string"}, "id": {"type": "integer"}},
            }
        },
    )
    out = merged(ours, theirs, MergeSet([], [], {"JsApp": "JSApp"}))
    assert "JsApp" not in out["components"]["schemas"]
    assert set(out["components"]["schemas"]["JSApp"]["properties"]) == {"url", "id"}
    ref = out["paths"]["/jsapps/x.json"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ref["schema"] == {"$ref": "#/components/schemas/JSApp"}


def test_a_dangling_reference_is_named() -> None:
    theirs = doc({"/x.json": {"get": ok("Missing")}}, {})
    with pytest.raises(PatchError, match="dangling reference #/components/schemas/Missing"):
        merged(OURS, theirs)


def test_every_merge_entry_needs_a_reason(tmp_path: Path) -> None:
    data = yaml.safe_load((OFFICIAL_PATH.parent / "official.yaml").read_text())
    data["schema_aliases"].append({"official": "A", "ours": "B"})
    path = tmp_path / "official.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(PatchError, match="without a reason"):
        MergeSet.load(path)


# --------------------------------------------------------------------------- the real pair


def _dangling(spec: Json) -> set[str]:
    text = json.dumps(spec)
    found = set()
    for ref in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node: Any = spec
        for token in ref.split("/"):
            node = node.get(token) if isinstance(node, dict) else None
        if node is None:
            found.add(ref)
    return found


def _bad_types(node: Any, where: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, str) and kind not in OPENAPI_TYPES and "securitySchemes" not in where:
            found.add(f"{where}: {kind}")
        # required is a list on a schema (a boolean only on a parameter or a request body).
        holder = where.endswith(("/requestBody", "/properties")) or "in" in node
        if "required" in node and not isinstance(node["required"], list) and not holder:
            found.add(f"{where}: required {node['required']!r}")
        for key, value in node.items():
            found |= _bad_types(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            found |= _bad_types(value, f"{where}/{n}")
    return found


def test_the_official_documents_defects_are_patched() -> None:
    raw = load_official()
    assert _dangling(raw) == {"components/schemas/Error"}
    assert "/components/schemas/Rate/properties/amount: float" in _bad_types(raw)
    patched = copy.deepcopy(raw)
    for patch in MergeSet.load().patches:
        apply_pointer_patch(patched, patch)
    assert _dangling(patched) == set()
    assert _bad_types(patched) == set()
    shipping = patched["components"]["schemas"]["ShippingMethodFields"]["properties"]
    assert shipping["free_shipping_minimum_purchase"]["anyOf"] == [
        {"type": "number"},
        {"type": "boolean"},
    ]


def test_the_real_merge_reaches_every_operation_of_both_specs() -> None:
    spec, report = build_spec()
    ours = {(m, p) for p, m, _ in iter_operations(spec)}
    apisguru = {(m, p) for p, m, _ in iter_operations(load_spec())}
    official = {(m, p) for p, m, _ in iter_operations(load_official())}
    assert (len(apisguru), len(official), len(ours)) == (142, 179, 183)
    assert apisguru <= ours
    assert official - ours == {("delete", "/jsapps/{id}.json")}  # = DELETE /jsapps/{code}.json
    assert any("41 operations added" in line for line in report.applied)


def test_merging_twice_gives_the_same_document() -> None:
    first, _ = build_spec()
    second, _ = build_spec()
    assert first == second
    assert PatchSet.load().patches  # the apis.guru patches still run before the merge
