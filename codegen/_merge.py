"""Merging Jumpseller's official spec into the (pointer-patched) apis.guru spec, as data.

``official.yaml`` holds the official document's own patches (defects fixed with a reason), the
operations that are the same in both under different paths, and the official schema names
that are apis.guru schemas under another spelling. The merge then:

* adds every official operation the apis.guru document lacks, with the schemas and parameters
  it references (an official name that apis.guru also uses means the apis.guru schema);
* adds to each schema both documents know the properties only the official one has, recursing
  into nested objects, list items and the bodies and answers of the operations both have; on a
  clash apis.guru's declaration wins; enum values only the official spec lists are added;
* marks every operation with ``x-jumpseller-source``: ``both``, ``apis.guru`` or ``official``.

The rules of ``patches.yaml`` (nullable everywhere, no defaults, ...) run after the merge, so
everything the official spec brings is as null-tolerant and open as the rest.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ._spec import (
    HTTP_METHODS,
    SPEC_PATH,
    Json,
    PatchError,
    PatchReport,
    PatchSet,
    apply_patchset,
    apply_pointer_patch,
    iter_operations,
    load_spec,
)

CODEGEN_DIR = Path(__file__).resolve().parent
OFFICIAL_SPEC_NAME = "jumpseller-official-3.0.3.openapi.json"
OFFICIAL_PATH = CODEGEN_DIR / OFFICIAL_SPEC_NAME
MERGE_PATH = CODEGEN_DIR / "official.yaml"

SOURCE_KEY = "x-jumpseller-source"
SCHEMA_PREFIX = "#/components/schemas/"
PARAMETER_PREFIX = "#/components/parameters/"


@dataclass
class MergeSet:
    """The merge data: official patches, equivalent operations, schema aliases."""

    patches: list[Json]
    same_operations: list[Json]
    schema_aliases: dict[str, str]

    @classmethod
    def load(cls, path: Path = MERGE_PATH) -> MergeSet:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        patches = data.get("patches", [])
        same = data.get("same_operations", [])
        aliases = data.get("schema_aliases", [])
        for entry in [*patches, *same, *aliases]:
            if not str(entry.get("reason", "")).strip():
                raise PatchError(f"{path.name} entry without a reason: {entry!r}")
        return cls(
            patches=patches,
            same_operations=same,
            schema_aliases={a["official"]: a["ours"] for a in aliases},
        )


def load_official(path: Path = OFFICIAL_PATH) -> Json:
    import json

    loaded = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict) or "paths" not in loaded:
        raise PatchError(f"{path} is not an OpenAPI document (no 'paths')")
    return loaded


def _route(text: str) -> tuple[str, str]:
    method, _, path = str(text).partition(" ")
    if method.lower() not in HTTP_METHODS or not path.startswith("/"):
        raise PatchError(f"not a 'METHOD /path' route: {text!r}")
    return method.lower(), path


def _iter_refs(node: Any) -> Iterator[Json]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node
        for value in node.values():
            yield from _iter_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _iter_refs(value)


class _Merger:
    def __init__(self, ours: Json, theirs: Json, merge: MergeSet, report: PatchReport) -> None:
        self.ours = ours
        self.theirs = theirs
        self.aliases = merge.schema_aliases
        self.report = report
        self.our_schemas: Json = ours.setdefault("components", {}).setdefault("schemas", {})
        self.our_params: Json = ours["components"].setdefault("parameters", {})
        self.their_schemas: Json = theirs.get("components", {}).get("schemas", {})
        self.their_params: Json = theirs.get("components", {}).get("parameters", {})
        self.imported: list[str] = []
        self.added_properties = 0
        self.added_enum_values = 0
        self._merged_pairs: set[tuple[int, int]] = set()

    # --- references ----------------------------------------------------------------------

    def our_name(self, official_name: str) -> str:
        return self.aliases.get(official_name, official_name)

    def adopt(self, node: Any) -> Any:
        """A deep copy of an official fragment whose references point into our document.

        Every schema or parameter it references is brought over first (once); a name apis.guru
        already has (or an alias of one) means apis.guru's.
        """
        node = copy.deepcopy(node)
        for ref in _iter_refs(node):
            target = ref["$ref"]
            if target.startswith(SCHEMA_PREFIX):
                name = self.our_name(target[len(SCHEMA_PREFIX) :])
                self._ensure_schema(name, target[len(SCHEMA_PREFIX) :])
                ref["$ref"] = SCHEMA_PREFIX + name
            elif target.startswith(PARAMETER_PREFIX):
                name = target[len(PARAMETER_PREFIX) :]
                if name not in self.our_params:
                    if name not in self.their_params:
                        raise PatchError(f"official spec: dangling reference {target}")
                    self.our_params[name] = {}  # placeholder: cycles end here
                    self.our_params[name] = self.adopt(self.their_params[name])
            else:
                raise PatchError(f"official spec: unsupported reference {target}")
        return node

    def _ensure_schema(self, name: str, official_name: str) -> None:
        if name in self.our_schemas:
            return
        if official_name not in self.their_schemas:
            raise PatchError(f"official spec: dangling reference {SCHEMA_PREFIX}{official_name}")
        self.our_schemas[name] = {}  # placeholder: recursive schemas end here
        self.our_schemas[name] = self.adopt(self.their_schemas[official_name])
        self.imported.append(name)

    # --- properties ----------------------------------------------------------------------

    def _resolve(self, doc: Json, schema: Any) -> Any:
        for _ in range(20):
            if isinstance(schema, dict) and "$ref" in schema:
                schema = doc["components"]["schemas"].get(schema["$ref"][len(SCHEMA_PREFIX) :], {})
            elif isinstance(schema, dict) and len(schema.get("allOf", [])) == 1:
                schema = schema["allOf"][0]
            else:
                return schema
        return schema

    def merge_properties(self, ours: Any, theirs: Any, *, by_shape: bool = False) -> None:
        """Add to ``ours`` (in place) the properties only ``theirs`` has, recursively.

        Both sides are followed through references; arrays merge their items, objects their
        properties; anything else (a clash of kinds) is left as apis.guru declares it.
        ``by_shape`` (below the top, or an operation's body or answer: anything not matched
        by name): objects without a property in common are different shapes (a wrapper and
        its content), left alone.
        """
        ours = self._resolve(self.ours, ours)
        theirs = self._resolve(self.theirs, theirs)
        if not isinstance(ours, dict) or not isinstance(theirs, dict):
            return
        pair = (id(ours), id(theirs))
        if pair in self._merged_pairs:
            return
        if ours.get("type") == "array" and theirs.get("type") == "array":
            self._merged_pairs.add(pair)
            self.merge_properties(ours.get("items"), theirs.get("items"), by_shape=True)
            return
        if isinstance(ours.get("enum"), list) and isinstance(theirs.get("enum"), list):
            # Values the official spec lists become members too (the enums stay open anyway);
            # an enum with hand-named members (x-enum-varnames) is left as patched.
            if "x-enum-varnames" not in ours and ours.get("type") == theirs.get("type"):
                added = [v for v in theirs["enum"] if v not in ours["enum"]]
                ours["enum"].extend(added)
                self.added_enum_values += len(added)
            return
        our_props = ours.get("properties")
        their_props = theirs.get("properties")
        if not isinstance(our_props, dict) or not isinstance(their_props, dict):
            return
        if by_shape and our_props and their_props and not set(our_props) & set(their_props):
            return
        self._merged_pairs.add(pair)
        for key, value in their_props.items():
            if key not in our_props:
                our_props[key] = self.adopt(value)
                self.added_properties += 1
            else:
                self.merge_properties(our_props[key], value, by_shape=True)

    def merge_operation(self, ours: Json, theirs: Json) -> None:
        """The request body and the 2xx answers of one operation both specs have."""
        self.merge_properties(
            _body_schema(self.ours, ours), _body_schema(self.theirs, theirs), by_shape=True
        )
        for code, response in theirs.get("responses", {}).items():
            if str(code).startswith("2") and str(code) in ours.get("responses", {}):
                self.merge_properties(
                    _media_schema(ours["responses"][str(code)]),
                    _media_schema(response),
                    by_shape=True,
                )

    def merge_schemas(self) -> None:
        for official_name, schema in self.their_schemas.items():
            name = self.our_name(official_name)
            if name in self.our_schemas and name not in self.imported:
                self.merge_properties(self.our_schemas[name], schema)
        # Official schemas no operation uses still become models (a webhook body, a payload
        # built by hand): every official resource is typed.
        for official_name in self.their_schemas:
            self._ensure_schema(self.our_name(official_name), official_name)


def _media_schema(holder: Any) -> Any:
    if not isinstance(holder, dict):
        return None
    return holder.get("content", {}).get("application/json", {}).get("schema")


def _body_schema(doc: Json, op: Json) -> Any:
    body = op.get("requestBody")
    if isinstance(body, dict) and isinstance(body.get("$ref"), str):
        name = body["$ref"].rsplit("/", 1)[-1]
        body = doc.get("components", {}).get("requestBodies", {}).get(name)
    return _media_schema(body)


def merge_official(ours: Json, theirs: Json, merge: MergeSet, report: PatchReport) -> None:
    """Merge the (already patched) official document ``theirs`` into ``ours``, in place."""
    merger = _Merger(ours, theirs, merge, report)
    same: dict[tuple[str, str], tuple[str, str]] = {}
    for entry in merge.same_operations:
        official, mine = _route(entry["official"]), _route(entry["ours"])
        if mine[1] not in ours["paths"] or mine[0] not in ours["paths"][mine[1]]:
            raise PatchError(f"same_operations: {entry['ours']} is not in openapi.yaml")
        if official[1] not in theirs["paths"] or official[0] not in theirs["paths"][official[1]]:
            raise PatchError(f"same_operations: {entry['official']} is not in the official spec")
        same[official] = mine
        report.note(f"same operation {entry['official']} = {entry['ours']}: {entry['reason']}")

    official_routes = {(m, p) for p, m, _ in iter_operations(theirs)}
    official_routes |= {same[r] for r in official_routes if r in same}
    for path, method, op in iter_operations(ours):
        op[SOURCE_KEY] = "both" if (method, path) in official_routes else "apis.guru"

    added = 0
    for path, method, op in list(iter_operations(theirs)):
        mine = same.get((method, path), (method, path))
        if mine[0] in ours["paths"].get(mine[1], {}):
            merger.merge_operation(ours["paths"][mine[1]][mine[0]], op)
            continue
        item = ours["paths"].setdefault(path, {})
        new_op = merger.adopt(op)
        new_op[SOURCE_KEY] = "official"
        item[method] = new_op
        added += 1
    merger.merge_schemas()
    report.note(
        f"official spec: {added} operations added, {len(merger.imported)} schemas imported, "
        f"{merger.added_properties} properties and {merger.added_enum_values} enum values added "
        "to schemas both specs know"
    )


def build_spec(
    spec: Json | None = None,
    patchset: PatchSet | None = None,
    merge: MergeSet | None = None,
    official: Json | None = None,
) -> tuple[Json, PatchReport]:
    """The spec we generate from: openapi.yaml patched, the official spec merged, rules applied.

    Each argument defaults to the committed input (openapi.yaml, patches.yaml, official.yaml,
    the official spec copied into codegen/); none of them is modified.
    """
    spec = load_spec(SPEC_PATH) if spec is None else spec
    patchset = PatchSet.load() if patchset is None else patchset
    merge = MergeSet.load() if merge is None else merge

    def merge_step(patched: Json, report: PatchReport) -> None:
        theirs = copy.deepcopy(official) if official is not None else load_official()
        for patch in merge.patches:
            apply_pointer_patch(theirs, patch)
            report.note(f"official {patch['op']} {patch['path']}: {patch['reason']}")
        merge_official(patched, theirs, merge, report)

    return apply_patchset(spec, patchset, merge_step)
