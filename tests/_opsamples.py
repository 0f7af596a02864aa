"""Sample arguments and answers for every generated operation (used by test_operations.py).

Everything is derived from three sources, so a regenerated client is tested without edits here:

* the generated modules themselves (``OPERATION``, the signatures and their annotations);
* the patched spec (``codegen``): parameter names, enums, maxima, request and response schemas;
* Jumpseller's official spec: its response examples, or else a value synthesized from its
  response schema (it declares fields the apis.guru spec lacks, which must survive a parse).

Expected requests are computed independently of the generated code: the path is escaped by
:func:`escape_segment` (RFC 3986 unreserved characters only), query values are rendered by hand
and the expected JSON body is built next to the body model, not by calling its ``to_dict()``.
"""

from __future__ import annotations

import copy
import enum
import importlib
import inspect
import json
import keyword
import pkgutil
import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import attrs

import jumpseller_async.api as api_package
from codegen._merge import OFFICIAL_PATH, build_spec
from jumpseller_async import _client, models
from jumpseller_async.api._types import UNSET, Unset

Json = Any

EXPECTED_OPERATION_COUNT = 183

# Path parameters whose realistic value is not an integer id.
PATH_STRING_VALUES: dict[str, str] = {
    "email": "ana+shop test@example.com",
    "country_code": "CL",
    "region_code": "RM",
    "code": "mi-app",
    "public_id": "doc 7/ñ+x",
}

# Query parameters by name (the spec's name, not the Python one).
QUERY_STRING_VALUES: dict[str, str] = {
    "locale": "es",
    "query": "camisa roja & azul",
    "from": "2024-01-01",
    "to": "2024-01-31",
    "store_code": "tienda-ana",
}
QUERY_INT_VALUES: dict[str, int] = {"page": 2}
MAX_PAGE_SIZE = 100

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def escape_segment(value: str) -> str:
    """Percent-escape one path segment: everything but RFC 3986 unreserved characters."""
    return "".join(
        char if char in _UNRESERVED else "".join(f"%{byte:02X}" for byte in char.encode())
        for char in value
    )


# --------------------------------------------------------------------------- specs


@cache
def patched_spec() -> Json:
    """The spec the client is generated from: apis.guru patched, the official one merged."""
    patched, _ = build_spec()
    return patched


@cache
def official_spec() -> Json:
    """Jumpseller's own document, as committed in codegen/ (the repository's fixture)."""
    loaded: Json = json.loads(Path(OFFICIAL_PATH).read_text(encoding="utf-8"))
    return loaded


def _normalize_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def resolve(spec: Json, node: Json) -> Json:
    """Follow ``$ref`` chains (``#/components/...``)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        target: Json = spec
        for token in node["$ref"].lstrip("#/").split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
        if seen > 50:
            raise RecursionError(node)
    return node


def flatten(spec: Json, schema: Json) -> Json:
    """A schema with ``$ref`` and ``allOf`` folded in (one level, enough for these specs)."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or "allOf" not in schema:
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = flatten(spec, part)
        for key, value in part.items():
            if key == "properties":
                merged.setdefault("properties", {}).update(value)
            else:
                merged.setdefault(key, value)
    return merged


def _ok_response(spec: Json, op: Json) -> Json | None:
    responses = op.get("responses", {})
    for code in ("200", "201", "2XX", "2xx"):
        if code in responses:
            return resolve(spec, responses[code])
    return None


def _json_content(response: Json | None) -> Json | None:
    if not response:
        return None
    return response.get("content", {}).get("application/json")


def _parameters(spec: Json, path: str, method: str) -> list[Json]:
    item = spec["paths"][path]
    params = [resolve(spec, p) for p in item.get("parameters", [])]
    params += [resolve(spec, p) for p in item[method].get("parameters", [])]
    return params


def find_official(path: str, method: str) -> tuple[str, Json] | None:
    """The official spec's operation for this path and method (parameter names may differ)."""
    official = official_spec()
    if official is None:
        return None
    paths = official.get("paths", {})
    if method in paths.get(path, {}):
        return path, paths[path][method]
    matches = [
        (p, item[method])
        for p, item in paths.items()
        if method in item and _normalize_path(p) == _normalize_path(path)
    ]
    return matches[0] if len(matches) == 1 else None


# --------------------------------------------------------------------------- synthesis

_STRING_BY_NAME: dict[str, str] = {
    "email": "ana@example.com",
    "phone": "+56 9 1234 5678",
    "locale": "es",
    "currency": "CLP",
    "country": "CL",
    "region": "RM",
    "url": "https://tienda.example.com/hooks/orders",
    "permalink": "camisa-roja",
    "name": "Camisa Roja",
    "title": "Camisa Roja",
    "description": "<p>Camisa de algodón</p>",
    "sku": "CAM-ROJ-M",
    "code": "VERANO24",
    "status": "available",
}


def _string_for(name: str) -> str:
    if not name:  # a bare string answer (DELETE)
        return "OK"
    if name in _STRING_BY_NAME:
        return _STRING_BY_NAME[name]
    if name.endswith(("_at", "date")) or name in {"from", "to", "created", "updated"}:
        return "2024-05-01T12:30:00.000-04:00"
    if name.endswith("url") or name in {"image", "src", "logo"}:
        return "https://cdn.example.com/img/camisa.jpg"
    if name.endswith("email"):
        return "ana@example.com"
    return f"{name.replace('_', ' ') or 'value'} 1"


def synthesize(spec: Json, schema: Json, name: str = "", depth: int = 0, items: int = 1) -> Json:
    """A realistic JSON value for ``schema``: every declared property, one item per list."""
    schema = flatten(spec, schema)
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "example" in schema and not isinstance(schema["example"], (dict, list)):
        return schema["example"]
    enum_values = [v for v in schema.get("enum", []) if v is not None]
    if enum_values:
        return enum_values[0]
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return synthesize(spec, schema[key][0], name, depth, items)
    kind = schema.get("type")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else None
    if kind == "object":
        props = schema.get("properties", {})
        return {key: synthesize(spec, sub, key, depth + 1) for key, sub in props.items()}
    if kind == "array":
        return [synthesize(spec, schema.get("items", {}), name, depth + 1) for _ in range(items)]
    if kind == "integer":
        return 4000 + depth * 11 + len(name)
    if kind == "number":
        return 19990.5
    if kind == "boolean":
        return True
    if kind == "string":
        return _string_for(name)
    return None


def _shape(spec: Json, schema: Json) -> tuple[str, frozenset[str]]:
    """Top-level type and wrapper keys (of the object or of the list items)."""
    schema = flatten(spec, schema)
    kind = schema.get("type") or ("object" if "properties" in schema else "")
    target = flatten(spec, schema.get("items", {})) if kind == "array" else schema
    return kind, frozenset(target.get("properties", {}) if isinstance(target, dict) else ())


def sample_answer(path: str, method: str) -> tuple[Json, str]:
    """(realistic 2xx body, where it came from) for one operation."""
    spec = patched_spec()
    ours = _json_content(_ok_response(spec, spec["paths"][path][method]))
    assert ours is not None, f"{method.upper()} {path}: the patched spec documents no 2xx body"
    found = find_official(path, method)
    if found is not None:
        official = official_spec()
        content = _json_content(_ok_response(official, found[1]))
        if content is not None:
            if content.get("examples"):
                first = next(iter(content["examples"].values()))
                return copy.deepcopy(resolve(official, first)["value"]), "official example"
            if "example" in content:
                return copy.deepcopy(content["example"]), "official example"
            theirs = content.get("schema")
            if theirs is not None:
                kind_a, keys_a = _shape(spec, ours["schema"])
                kind_b, keys_b = _shape(official, theirs)
                # Same shape: extra keys are welcome (undeclared fields), another wrapper is not.
                if kind_a == kind_b and (keys_a & keys_b or not (keys_a or keys_b)):
                    return synthesize(official, theirs, items=2), "official schema"
    synthesized = synthesize(spec, ours["schema"], items=2)
    if synthesized is None:
        # An untyped answer (DELETE): whatever JSON arrives is handed back as is.
        return {"message": "Deleted"}, "untyped answer"
    return synthesized, "patched schema"


# --------------------------------------------------------------------------- null variants


NullTest = Callable[[Json, int, bool], bool]


def _null_where(value: Json, test: NullTest, depth: int = 0, in_list: bool = False) -> Json:
    """``value`` with every node below the root for which ``test(node, depth, in_list)`` holds
    replaced by null (the root itself is kept: a null answer is not a realistic 2xx)."""
    if depth > 0 and test(value, depth, in_list):
        return None
    if isinstance(value, dict):
        return {k: _null_where(v, test, depth + 1, False) for k, v in value.items()}
    if isinstance(value, list):
        return [_null_where(v, test, depth + 1, True) for v in value]
    return value


def null_variants(sample: Json) -> dict[str, Json]:
    """The answer with nulls in place of leaves, nested objects, lists and list items.

    Depth counts from the JSON root; the wrapped object (``{"product": {...}}``'s value) sits
    at depth 1 in an object answer and at depth 2 in a list answer. Variants that change
    nothing (an answer without lists has no list variants) are left out.
    """
    wrapped = 2 if isinstance(sample, list) else 1
    tests: dict[str, NullTest] = {
        "leaves": lambda v, d, i: not isinstance(v, (dict, list)),
        "wrapped-object": lambda v, d, i: isinstance(v, dict) and d == wrapped,
        "inner-objects": lambda v, d, i: isinstance(v, dict) and d > wrapped and not i,
        "lists": lambda v, d, i: isinstance(v, list),
        "list-items": lambda v, d, i: i,
        "nested-list-items": lambda v, d, i: i and d > 1,
    }
    variants: dict[str, Json] = {}
    for name, test in tests.items():
        variant = _null_where(sample, test)
        if variant != sample and variant not in variants.values():
            variants[name] = variant
    return variants


# --------------------------------------------------------------------------- introspection


def _type_namespace(module: types.ModuleType) -> dict[str, Any]:
    return {
        **vars(models),
        **vars(module),
        "Unset": Unset,
        "JumpsellerClient": _client.JumpsellerClient,
    }


def _union_members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _without_unset(annotation: Any) -> list[Any]:
    return [a for a in _union_members(annotation) if a is not Unset]


def is_model(cls: Any) -> bool:
    return isinstance(cls, type) and attrs.has(cls) and hasattr(cls, "from_dict")


@cache
def model_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, None, {**vars(models), "Unset": Unset})


def discover_operations() -> list[types.ModuleType]:
    """Every generated operation module under jumpseller_async.api, sorted by tool name."""
    found = []
    for info in pkgutil.walk_packages(api_package.__path__, api_package.__name__ + "."):
        short = info.name.rsplit(".", 1)[-1]
        if info.ispkg or short.startswith("_"):
            continue
        module = importlib.import_module(info.name)
        if hasattr(module, "OPERATION"):
            found.append(module)
    return sorted(found, key=lambda m: m.OPERATION.tool)


# --------------------------------------------------------------------------- bodies


def _scalar_for(prop_name: str, prop: Json, annotation: Any) -> tuple[Any, Json] | None:
    """(Python value, JSON value) for one scalar property, or None if it is not a scalar."""
    members = _without_unset(annotation)
    for member in members:
        if isinstance(member, type) and issubclass(member, enum.Enum):
            chosen = list(member)[-1]
            return chosen, chosen.value
    kind = prop.get("type")
    if kind == "string" and str in members:
        value = _string_for(prop_name)
        return value, value
    if kind == "number" and float in members:
        return 9.5, 9.5
    if kind == "integer" and int in members:
        return 3, 3
    if kind == "boolean" and bool in members:
        return True, True
    return None


# Fields a caller typically sets, tried first (by rank) when building a body.
PREFERRED_BODY_FIELDS: dict[str, int] = {
    name: rank
    for rank, name in enumerate(
        [
            "name",
            "title",
            "label",
            "email",
            "url",
            "value",
            "message",
            "price",
            "stock",
            "position",
            "status",
            "featured",
        ]
    )
}


def build_fields(
    spec: Json, schema: Json, cls: type, how_many: int = 3
) -> tuple[Any, dict[str, Json]]:
    """An instance of ``cls`` with a few scalar fields set, and the JSON it must serialize to.

    Prefers one string, one number and one enum or boolean, so the body shows that unset fields
    (with spec defaults such as stock 100 or featured false) are not sent.
    """
    schema = flatten(spec, schema)
    hints = model_hints(cls)
    attr_names = {f.name for f in attrs.fields(cls)}
    candidates: list[tuple[str, Any, Json, str]] = []
    for prop_name, prop in schema.get("properties", {}).items():
        prop = flatten(spec, prop)
        if prop_name not in attr_names or prop.get("readOnly"):
            continue
        chosen = _scalar_for(prop_name, prop, hints[prop_name])
        if chosen is None:
            continue
        kind = "enum" if isinstance(chosen[0], enum.Enum) else prop.get("type", "")
        candidates.append((prop_name, chosen[0], chosen[1], kind))
    candidates.sort(
        key=lambda c: (c[0] not in PREFERRED_BODY_FIELDS, PREFERRED_BODY_FIELDS.get(c[0], 0))
    )
    picked: list[tuple[str, Any, Json, str]] = []
    for wanted in (("string",), ("number", "integer"), ("enum", "boolean")):
        for cand in candidates:
            if cand[3] in wanted and cand not in picked:
                picked.append(cand)
                break
    for cand in candidates:
        if len(picked) >= how_many:
            break
        if cand not in picked:
            picked.append(cand)
    kwargs = {name: value for name, value, _, _ in picked}
    expected = {name: json_value for name, _, json_value, _ in picked}
    return cls(**kwargs), expected


def build_body(
    module: types.ModuleType, path: str, method: str, body_cls: type
) -> tuple[Any, dict[str, Json]]:
    """The body model for an operation (a nested wrapper where there is one) and its JSON."""
    spec = patched_spec()
    op = spec["paths"][path][method]
    request_body = resolve(spec, op["requestBody"])
    schema = flatten(spec, request_body["content"]["application/json"]["schema"])
    hints = model_hints(body_cls)
    kwargs: dict[str, Any] = {}
    expected: dict[str, Json] = {}
    for prop_name, prop in schema.get("properties", {}).items():
        annotation = hints.get(prop_name)
        if annotation is None:
            continue
        prop = flatten(spec, prop)
        for member in _without_unset(annotation):
            if is_model(member):
                kwargs[prop_name], expected[prop_name] = build_fields(spec, prop, member)
                break
            if typing.get_origin(member) is list:
                (item_cls,) = [a for a in _union_members(typing.get_args(member)[0]) if is_model(a)]
                first, first_json = build_fields(spec, prop["items"], item_cls)
                kwargs[prop_name], expected[prop_name] = [first], [first_json]
                break
    if not kwargs:  # a flat body (PartnerStoreCreate): set a few of its own scalars
        return build_fields(spec, schema, body_cls)
    return body_cls(**kwargs), expected


# --------------------------------------------------------------------------- cases


@dataclass
class OpCase:
    """One operation with sample arguments, the request they must produce and a sample answer."""

    module: types.ModuleType
    tool: str
    method: str
    path: str
    tag: str
    name: str
    path_args: list[Any]
    expected_path: str
    query_kwargs: dict[str, Any]
    expected_query: dict[str, str]
    required_kwargs: dict[str, Any]
    expected_required_query: dict[str, str]
    body: Any
    expected_body: dict[str, Json] | None
    success_types: tuple[Any, ...]
    returns_list: bool
    sample: Json
    sample_source: str

    @property
    def returns_model(self) -> bool:
        return all(is_model(t) for t in self.success_types)

    def call_kwargs(self, *, minimal: bool = False) -> dict[str, Any]:
        kwargs = dict(self.required_kwargs if minimal else self.query_kwargs)
        if self.body is not None:
            kwargs["body"] = self.body
        return kwargs

    def __repr__(self) -> str:
        return f"OpCase({self.tool})"


def _query_value(spec_name: str, schema: Json, annotation: Any) -> tuple[Any, str]:
    for member in _without_unset(annotation):
        if isinstance(member, type) and issubclass(member, enum.Enum):
            chosen = list(member)[-1]
            return chosen, str(chosen.value)
    kind = schema.get("type")
    if kind == "integer":
        if spec_name == "limit":
            value = min(MAX_PAGE_SIZE, schema.get("maximum", MAX_PAGE_SIZE))
        else:
            value = QUERY_INT_VALUES.get(spec_name, 7)
        return value, str(value)
    if kind == "boolean":
        return True, "true"
    value = QUERY_STRING_VALUES.get(spec_name, f"sample-{spec_name}")
    return value, value


def _path_value(name: str, schema: Json, annotation: Any, index: int) -> tuple[Any, str]:
    members = _without_unset(annotation)
    for member in members:
        if isinstance(member, type) and issubclass(member, enum.Enum):
            spaced = [m for m in member if " " in m.value]
            chosen = (spaced or list(member))[-1]
            return chosen, chosen.value
    if int in members:
        value = 1000 + 111 * (index + 1)
        return value, str(value)
    if name in PATH_STRING_VALUES:
        return PATH_STRING_VALUES[name], PATH_STRING_VALUES[name]
    value = (
        str(1000 + 111 * (index + 1))
        if schema.get("type") in ("string", None) and name.endswith("id")
        else f"{name}-1"
    )
    return value, value


def python_name(spec_name: str) -> str:
    """The argument name of a query parameter (``dateFilter`` -> ``date_filter``, ``from_``)."""
    snake = re.sub(r"[^0-9a-zA-Z_]+", "_", spec_name)
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", snake).lower().strip("_")
    return snake + "_" if keyword.iskeyword(snake) else snake


def build_case(module: types.ModuleType) -> OpCase:
    operation = module.OPERATION
    method = operation.method.lower()
    spec = patched_spec()
    hints = typing.get_type_hints(module.asyncio_detailed, _type_namespace(module))
    signature = inspect.signature(module.asyncio_detailed)
    spec_params = _parameters(spec, operation.path, method)
    path_params = [p for p in spec_params if p["in"] == "path"]
    query_params = [p for p in spec_params if p["in"] == "query"]

    positional = [
        n
        for n, p in signature.parameters.items()
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]
    assert positional == [p["name"] for p in path_params], (
        f"{operation.tool}: positional parameters {positional} are not the spec's path parameters"
    )
    path_args: list[Any] = []
    expected_path = operation.path
    for index, param in enumerate(path_params):
        value, text = _path_value(
            param["name"], param.get("schema", {}), hints[param["name"]], index
        )
        path_args.append(value)
        expected_path = expected_path.replace("{" + param["name"] + "}", escape_segment(text))

    query_kwargs: dict[str, Any] = {}
    expected_query: dict[str, str] = {}
    required_kwargs: dict[str, Any] = {}
    expected_required: dict[str, str] = {}
    for param in query_params:
        spec_name = param["name"]
        py_name = python_name(spec_name)
        assert py_name in signature.parameters, f"{operation.tool}: no argument for ?{spec_name}"
        value, text = _query_value(spec_name, param.get("schema", {}), hints[py_name])
        query_kwargs[py_name], expected_query[spec_name] = value, text
        if param.get("required"):
            required_kwargs[py_name], expected_required[spec_name] = value, text

    keyword_only = {
        n for n, p in signature.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY
    } - {"client", "body"}
    expected_kw = {python_name(p["name"]) for p in query_params}
    assert keyword_only == expected_kw, (
        f"{operation.tool}: keyword arguments {keyword_only} != {expected_kw}"
    )

    body = expected_body = None
    if "body" in signature.parameters:
        body, expected_body = build_body(module, operation.path, method, hints["body"])

    returned = typing.get_type_hints(module.asyncio, _type_namespace(module))["return"]
    returns_list = typing.get_origin(returned) is list
    if returns_list:
        success_types = tuple(_union_members(typing.get_args(returned)[0]))
    else:
        success_types = tuple(_union_members(returned))
    # An untyped answer (Any) is whatever JSON arrives.
    success_types = tuple(object if t is Any else t for t in success_types)

    sample, source = sample_answer(operation.path, method)
    return OpCase(
        module=module,
        tool=operation.tool,
        method=operation.method,
        path=operation.path,
        tag=module.__name__.split(".")[-2],
        name=module.__name__.split(".")[-1],
        path_args=path_args,
        expected_path=expected_path,
        query_kwargs=query_kwargs,
        expected_query=expected_query,
        required_kwargs=required_kwargs,
        expected_required_query=expected_required,
        body=body,
        expected_body=expected_body,
        success_types=success_types,
        returns_list=returns_list,
        sample=sample,
        sample_source=source,
    )


@cache
def all_cases() -> tuple[OpCase, ...]:
    return tuple(build_case(module) for module in discover_operations())


# --------------------------------------------------------------------------- checks on parsed values


def to_plain(value: Any) -> Json:
    """A parsed answer back to JSON: models through to_dict(), lists item by item."""
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if attrs.has(type(value)):
        return value.to_dict()
    return value


def raw_dict_fallbacks(value: Any, where: str = "$") -> Iterator[str]:
    """Declared fields that hold a raw dict: a nested parse that silently fell back."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield f"{where}[{index}]"
            else:
                yield from raw_dict_fallbacks(item, f"{where}[{index}]")
        return
    if not attrs.has(type(value)):
        return
    for attribute in attrs.fields(type(value)):
        if attribute.name == "additional_properties":
            continue
        inner = getattr(value, attribute.name)
        if isinstance(inner, dict):
            yield f"{where}.{attribute.name}"
        else:
            yield from raw_dict_fallbacks(inner, f"{where}.{attribute.name}")


def json_keys(value: Json, where: str = "$") -> set[str]:
    """Every key path in a JSON value (list indexes included)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            out.add(f"{where}.{key}")
            out |= json_keys(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            out |= json_keys(inner, f"{where}[{index}]")
    return out


def unset_free(value: Any) -> bool:
    """No UNSET leaked into a to_dict() result."""
    if isinstance(value, dict):
        return all(unset_free(v) for v in value.values())
    if isinstance(value, list):
        return all(unset_free(v) for v in value)
    return value is not UNSET
