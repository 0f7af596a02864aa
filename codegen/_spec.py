"""Loading the spec and applying the patch set (``patches.yaml``) to a copy of it.

The patch set is data: global *rules* (named transforms applied to the whole document) and
JSON-pointer *patches* (RFC 6902 style ``add``/``replace``/``remove``), each with a reason.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi.yaml"
PATCHES_PATH = Path(__file__).resolve().parent / "patches.yaml"

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

Json = dict[str, Any]


class PatchError(Exception):
    """A patch entry that does not apply to the spec it is meant for."""


@dataclass
class PatchSet:
    rules: list[Json]
    patches: list[Json]

    @classmethod
    def load(cls, path: Path = PATCHES_PATH) -> PatchSet:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules = data.get("rules", [])
        patches = data.get("patches", [])
        for entry in [*rules, *patches]:
            if not str(entry.get("reason", "")).strip():
                raise PatchError(f"patch entry without a reason: {entry!r}")
        return cls(rules=rules, patches=patches)


@dataclass
class PatchReport:
    applied: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        self.applied.append(message)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# libyaml's loader when present: the same document, four times faster (the spec is 7000 lines).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_spec(path: Path = SPEC_PATH) -> Json:
    loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    if not isinstance(loaded, dict) or "paths" not in loaded:
        raise PatchError(f"{path} is not an OpenAPI document (no 'paths')")
    return loaded


def canonical_json(spec: Json) -> bytes:
    return json.dumps(spec, sort_keys=True, indent=1, ensure_ascii=False).encode("utf-8")


def iter_operations(spec: Json) -> Iterator[tuple[str, str, Json]]:
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


# --- JSON pointer ----------------------------------------------------------------------------


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _split_pointer(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise PatchError(f"JSON pointer must start with '/': {pointer!r}")
    return [_unescape(t) for t in pointer[1:].split("/")]


def _walk(doc: Any, tokens: list[str], pointer: str) -> Any:
    for token in tokens:
        if isinstance(doc, dict) and token in doc:
            doc = doc[token]
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            raise PatchError(f"{pointer}: no {token!r} in the spec")
    return doc


def apply_pointer_patch(spec: Json, patch: Json) -> None:
    op, pointer = patch["op"], patch["path"]
    tokens = _split_pointer(pointer)
    parent = _walk(spec, tokens[:-1], pointer)
    last = tokens[-1]
    if op == "add":
        if isinstance(parent, list):
            parent.insert(len(parent) if last == "-" else int(last), copy.deepcopy(patch["value"]))
        else:
            parent[last] = copy.deepcopy(patch["value"])
    elif op == "replace":
        _walk(parent, [last], pointer)
        parent[int(last) if isinstance(parent, list) else last] = copy.deepcopy(patch["value"])
    elif op == "remove":
        _walk(parent, [last], pointer)
        del parent[int(last) if isinstance(parent, list) else last]
    else:
        raise PatchError(f"{pointer}: unknown op {op!r}")


# --- rules -----------------------------------------------------------------------------------


def _iter_schemas(node: Any) -> Iterator[Json]:
    """Every schema object in the document (components and inline), once each."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _iter_schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _iter_schemas(value)


def _schema_children(schema: Json) -> Iterator[tuple[Json, str]]:
    """(container, key) pairs for the sub-schemas that hold values of this schema."""
    props = schema.get("properties")
    if isinstance(props, dict):
        for name in props:
            yield props, name
    if isinstance(schema.get("items"), dict):
        yield schema, "items"
    if isinstance(schema.get("additionalProperties"), dict):
        yield schema, "additionalProperties"


def _all_schema_roots(spec: Json) -> Iterator[Json]:
    """Top-level schemas: components and every inline media-type / parameter schema."""
    yield from spec.get("components", {}).get("schemas", {}).values()
    for _, _, op in iter_operations(spec):
        for param in op.get("parameters", []):
            if "schema" in param:
                yield param["schema"]
        for holder in [op.get("requestBody", {}), *op.get("responses", {}).values()]:
            for media in holder.get("content", {}).values():
                if "schema" in media:
                    yield media["schema"]
    for param in spec.get("components", {}).get("parameters", {}).values():
        if "schema" in param:
            yield param["schema"]


def _walk_schema_tree(schema: Json, seen: set[int]) -> Iterator[Json]:
    if id(schema) in seen:
        return
    seen.add(id(schema))
    yield schema
    for container, key in _schema_children(schema):
        child = container[key]
        if isinstance(child, dict):
            yield from _walk_schema_tree(child, seen)
    for combinator in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(combinator, []):
            if isinstance(child, dict):
                yield from _walk_schema_tree(child, seen)


def _every_schema(spec: Json) -> Iterator[Json]:
    seen: set[int] = set()
    for root in list(_all_schema_roots(spec)):
        yield from _walk_schema_tree(root, seen)


def rule_remove_parameters(spec: Json, rule: Json, report: PatchReport) -> None:
    names = set(rule["names"])
    component_params = spec.get("components", {}).get("parameters", {})
    doomed_refs = {
        f"#/components/parameters/{key}"
        for key, param in component_params.items()
        if param.get("name") in names
    }
    removed = 0
    for _, _, op in iter_operations(spec):
        params = op.get("parameters", [])
        kept = [
            p for p in params if p.get("$ref") not in doomed_refs and p.get("name") not in names
        ]
        removed += len(params) - len(kept)
        op["parameters"] = kept
    for key in [k for k, p in component_params.items() if p.get("name") in names]:
        del component_params[key]
    report.note(f"remove-parameters {sorted(names)}: {removed} parameter uses removed")


def rule_drop_defaults(spec: Json, rule: Json, report: PatchReport) -> None:
    dropped = 0
    for schema in _every_schema(spec):
        if "default" in schema:
            del schema["default"]
            dropped += 1
    report.note(f"drop-defaults: {dropped} defaults removed")


def rule_drop_required(spec: Json, rule: Json, report: PatchReport) -> None:
    dropped = 0
    for schema in _every_schema(spec):
        if isinstance(schema.get("required"), list):
            dropped += len(schema["required"])
            del schema["required"]
    report.note(f"drop-required: {dropped} required properties made optional")


def _make_nullable(container: Json, key: str) -> bool:
    child = container[key]
    if "$ref" in child:
        # 3.0 ignores siblings of $ref, so a nullable reference is spelled allOf + nullable.
        container[key] = {"allOf": [{"$ref": child["$ref"]}], "nullable": True}
        return True
    if child.get("nullable") is True:
        return False
    if isinstance(child.get("enum"), list):
        values = [v for v in child["enum"] if v is not None]
        inner = {k: v for k, v in child.items() if k not in ("enum", "nullable", "description")}
        inner["enum"] = values
        # The generator ignores `nullable` on an enum, and null listed among the values makes
        # it build a union of three enum classes; anyOf-of-one + nullable is the spelling that
        # yields `None | <Parent><Name>` (the title keeps that natural class name).
        inner.setdefault("title", key)
        wrapped: Json = {"anyOf": [inner], "nullable": True}
        if "description" in child:
            wrapped["description"] = child["description"]
        container[key] = wrapped
        return True
    if "type" in child or "allOf" in child or "anyOf" in child or "oneOf" in child:
        child["nullable"] = True
        if "properties" in child:
            child.setdefault("title", key)  # same naming reason as for enums above
        return True
    return False


def rule_nullable_everywhere(spec: Json, rule: Json, report: PatchReport) -> None:
    changed = 0
    for schema in list(_every_schema(spec)):
        for container, key in list(_schema_children(schema)):
            if isinstance(container[key], dict) and _make_nullable(container, key):
                changed += 1
    report.note(f"nullable-everywhere: {changed} properties and items made nullable")


def rule_ok_status_range(spec: Json, rule: Json, report: PatchReport) -> None:
    changed = 0
    for _, _, op in iter_operations(spec):
        responses = op.get("responses", {})
        ok = [code for code in responses if str(code).startswith("2")]
        if len(ok) == 1 and str(ok[0]) in ("200", "201"):
            responses["2XX"] = responses.pop(ok[0])
            changed += 1
    report.note(f"ok-status-range: {changed} operations accept any 2xx")


def rule_cap_page_limit(spec: Json, rule: Json, report: PatchReport) -> None:
    maximum = int(rule["maximum"])
    changed = 0
    params = list(spec.get("components", {}).get("parameters", {}).values())
    for _, _, op in iter_operations(spec):
        params.extend(p for p in op.get("parameters", []) if "$ref" not in p)
    for param in params:
        if param.get("name") == "limit" and param.get("in") == "query":
            schema = param.setdefault("schema", {"type": "integer"})
            schema["maximum"] = maximum
            schema["minimum"] = 1
            param["description"] = f"Items per page (1 to {maximum}; the API's default is 50)."
            changed += 1
    report.note(f"cap-page-limit: {changed} limit parameters capped at {maximum}")


def rule_untyped_string_answers(spec: Json, rule: Json, report: PatchReport) -> None:
    methods = {m.lower() for m in rule["methods"]}
    changed = 0
    for _, method, op in iter_operations(spec):
        if method not in methods:
            continue
        for code, response in op.get("responses", {}).items():
            media = response.get("content", {}).get("application/json", {})
            if str(code).startswith("2") and media.get("schema") == {"type": "string"}:
                media["schema"] = {
                    "description": "Whatever JSON the API answers, as it arrives.",
                    "x-untyped-on-purpose": True,
                }
                changed += 1
    report.note(f"untyped-string-answers: {changed} answers accept any JSON")


def rule_object_type_where_properties(spec: Json, rule: Json, report: PatchReport) -> None:
    changed = 0
    for schema in _every_schema(spec):
        if (
            isinstance(schema.get("properties"), dict)
            and "type" not in schema
            and "allOf" not in schema
        ):
            schema["type"] = "object"
            changed += 1
    report.note(f"object-type-where-properties: {changed} schemas typed as objects")


RULES: dict[str, Callable[[Json, Json, PatchReport], None]] = {
    "remove-parameters": rule_remove_parameters,
    "drop-defaults": rule_drop_defaults,
    "drop-required": rule_drop_required,
    "nullable-everywhere": rule_nullable_everywhere,
    "ok-status-range": rule_ok_status_range,
    "untyped-string-answers": rule_untyped_string_answers,
    "object-type-where-properties": rule_object_type_where_properties,
    "cap-page-limit": rule_cap_page_limit,
}


def apply_patchset(
    spec: Json,
    patchset: PatchSet,
    merge: Callable[[Json, PatchReport], None] | None = None,
) -> tuple[Json, PatchReport]:
    """A patched deep copy of ``spec``; the original is untouched.

    ``merge`` (the official spec's merge, ``_merge.py``) runs between the pointer patches and
    the rules, so what it brings in is made null-safe and default-free like the rest.
    """
    patched = copy.deepcopy(spec)
    report = PatchReport()
    # Pointer patches first: they fix shapes, the rules then make the fixed shapes null-safe.
    for patch in patchset.patches:
        apply_pointer_patch(patched, patch)
        report.note(f"{patch['op']} {patch['path']}: {patch['reason']}")
    if merge is not None:
        merge(patched, report)
    for rule in patchset.rules:
        name = rule["rule"]
        if name not in RULES:
            raise PatchError(f"unknown rule {name!r} (known: {', '.join(sorted(RULES))})")
        RULES[name](patched, rule, report)
    return patched, report
