"""`codegen preview`: the operations that would be generated and the spec's problems, writing nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._merge import OFFICIAL_PATH, SOURCE_KEY, MergeSet, merge_official
from ._spec import (
    RULES,
    Json,
    PatchError,
    PatchReport,
    PatchSet,
    apply_pointer_patch,
    iter_operations,
)

KNOWN_FORMATS = {
    "int32",
    "int64",
    "float",
    "double",
    "email",
    "uri",
    "date",
    "date-time",
    "binary",
    "uuid",
}
CREDENTIAL_PARAMS = {"login", "authtoken", "partner_code", "auth_token"}
PYTHON_AWKWARD_NAMES = {"type", "list", "dict", "object", "id", "str", "int", "property"}


@dataclass(frozen=True)
class Problem:
    kind: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.where}: {self.message}"


@dataclass(frozen=True)
class OperationInfo:
    tool: str
    method: str
    path: str
    summary: str
    source: str = ""


def _camel(value: str) -> str:
    from openapi_python_client.strings import pascal_case

    pascal = pascal_case(value)
    return pascal[:1].lower() + pascal[1:]


def list_operations(spec: Json) -> list[OperationInfo]:
    """Tool names exactly as the generator names the modules (tag + method/path)."""
    from openapi_python_client.parser.openapi import generate_operation_id
    from openapi_python_client.schema.untrusted_string import UntrustedString

    operations = []
    for path, method, op in iter_operations(spec):
        tag = (op.get("tags") or ["default"])[0]
        name = op.get("operationId") or str(
            generate_operation_id(path=UntrustedString(path), method=method, prefix="field_")
        )
        operations.append(
            OperationInfo(
                tool=f"{_camel(tag)}.{_camel(name)}",
                method=method.upper(),
                path=path,
                summary=str(op.get("summary", "")).strip(),
                source=str(op.get(SOURCE_KEY, "")),
            )
        )
    return operations


def default_official_spec() -> Path:
    return OFFICIAL_PATH


# --- problems in a spec ----------------------------------------------------------------------


def _resolve(doc: Json, schema: Any) -> Any:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        target: Any = doc
        for token in schema["$ref"].lstrip("#/").split("/"):
            target = target.get(token, {}) if isinstance(target, dict) else {}
        schema, seen = target, seen + 1
    return schema


def _schema_problems(name: str, schema: Any) -> Iterator[Problem]:
    if not isinstance(schema, dict):
        return
    fmt = schema.get("format")
    if fmt is not None and fmt not in KNOWN_FORMATS:
        yield Problem(
            "unknown-format",
            name,
            f"format {fmt!r} is not a known format; treated as plain {schema.get('type')}",
        )
    typed = any(k in schema for k in ("type", "allOf", "anyOf", "oneOf", "enum", "properties"))
    if "$ref" not in schema and not typed and not schema.get("x-untyped-on-purpose"):
        yield Problem("missing-type", name, "no type: generated as Any (kept as it arrives)")
    if (
        schema.get("type") == "object"
        and not schema.get("properties")
        and "additionalProperties" not in schema
    ):
        yield Problem("guessed-shape", name, "object without properties: kept as a free-form dict")
    if schema.get("type") == "array" and "items" not in schema:
        yield Problem("guessed-shape", name, "array without items: items kept as they arrive")
    if "default" in schema:
        yield Problem(
            "default",
            name,
            f"default {schema['default']!r} would be sent for the caller (drop-defaults)",
        )
    enum = schema.get("enum")
    if isinstance(enum, list) and None not in enum:
        yield Problem(
            "closed-enum", name, f"closed enum of {len(enum)} values; the API's enums are open"
        )
    for key, child in (schema.get("properties") or {}).items():
        yield from _schema_problems(f"{name}.{key}", child)
    if isinstance(schema.get("items"), dict):
        yield from _schema_problems(f"{name}[]", schema["items"])


def find_problems(spec: Json) -> list[Problem]:
    problems: list[Problem] = []
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        if name in PYTHON_AWKWARD_NAMES or not name[:1].isupper():
            problems.append(
                Problem(
                    "odd-name",
                    f"#/components/schemas/{name}",
                    "schema name makes an awkward class name",
                )
            )
        problems.extend(_schema_problems(name, schema))
    for path, method, op in iter_operations(spec):
        where = f"{method.upper()} {path}"
        params = [_resolve(spec, p) for p in op.get("parameters", [])]
        for param in params:
            if param.get("name") in CREDENTIAL_PARAMS:
                problems.append(
                    Problem(
                        "credentials",
                        where,
                        f"credential parameter {param['name']!r} in the signature",
                    )
                )
            if param.get("name") == "limit":
                maximum = (param.get("schema") or {}).get("maximum")
                if maximum is None or maximum > 100:
                    problems.append(
                        Problem("page-limit", where, f"limit maximum {maximum} (the API's is 100)")
                    )
            problems.extend(
                _schema_problems(f"{where} param {param.get('name')}", param.get("schema"))
            )
        for code, response in op.get("responses", {}).items():
            media = _resolve(spec, response).get("content", {}).get("application/json", {})
            problems.extend(_schema_problems(f"{where} {code}", media.get("schema")))
    # Repeated problems from shared schemas are listed once.
    return sorted(set(problems), key=lambda p: (p.kind, p.where))


# --- comparison with the official spec -------------------------------------------------------


def _kind(doc: Json, schema: Any) -> str:
    schema = _resolve(doc, schema)
    if not isinstance(schema, dict):
        return "?"
    if schema.get("allOf") and len(schema["allOf"]) == 1:
        return _kind(doc, schema["allOf"][0])
    if any(k in schema for k in ("allOf", "anyOf", "oneOf")):
        return "composite"
    kind = schema.get("type") or ("object" if "properties" in schema else "any")
    return "number" if kind == "integer" else str(kind)


def _unwrap(doc: Json, schema: Any) -> Any:
    schema = _resolve(doc, schema)
    if isinstance(schema, dict) and schema.get("allOf") and len(schema["allOf"]) == 1:
        return _unwrap(doc, schema["allOf"][0])
    return schema


def _compare(
    mine: Json, theirs: Json, a: Any, b: Any, where: str, depth: int, out: list[Problem]
) -> None:
    if depth > 6:  # recursive schemas (product options) repeat the same differences forever
        return
    ka, kb = _kind(mine, a), _kind(theirs, b)
    if "any" in (ka, kb) or "composite" in (ka, kb):
        return
    if ka != kb:
        out.append(Problem("shape", where, f"spec says {ka}, the official spec says {kb}"))
        return
    a, b = _unwrap(mine, a), _unwrap(theirs, b)
    if ka == "array":
        _compare(mine, theirs, a.get("items"), b.get("items"), where + "[]", depth + 1, out)
    elif ka == "object":
        pa, pb = a.get("properties") or {}, b.get("properties") or {}
        if depth <= 1 and pa and pb and not set(pa) & set(pb):
            out.append(
                Problem(
                    "shape",
                    where,
                    f"wrapper keys {sorted(pa)} but the official spec has {sorted(pb)}",
                )
            )
            return
        for key in sorted(set(pa) & set(pb)):
            _compare(mine, theirs, pa[key], pb[key], f"{where}.{key}", depth + 1, out)


def _ok_schema(doc: Json, op: Json) -> Any:
    for code in ("200", "201", "2XX"):
        if code in op.get("responses", {}):
            media = (
                _resolve(doc, op["responses"][code]).get("content", {}).get("application/json", {})
            )
            return media.get("schema")
    return None


def compare_with_official(spec: Json, official: Json) -> tuple[list[Problem], list[str]]:
    """(response-shape differences, operations the official spec does not have)."""
    differences: list[Problem] = []
    missing: list[str] = []
    for path, method, op in iter_operations(spec):
        other = official.get("paths", {}).get(path, {}).get(method)
        if other is None:
            missing.append(f"{method.upper()} {path}")
            continue
        a, b = _ok_schema(spec, op), _ok_schema(official, other)
        if a is not None and b is not None:
            _compare(spec, official, a, b, f"{method.upper()} {path}", 0, differences)
    return sorted(set(differences), key=lambda p: p.where), missing


def apply_tolerant(
    spec: Json, patchset: PatchSet, official: Json | None = None
) -> tuple[Json, PatchReport, list[Problem]]:
    """Like build_spec, but a patch that does not fit this spec is reported, not fatal."""
    import copy

    patched = copy.deepcopy(spec)
    report = PatchReport()
    failures: list[Problem] = []
    for patch in patchset.patches:
        try:
            apply_pointer_patch(patched, patch)
            report.note(f"{patch['op']} {patch['path']}: {patch['reason']}")
        except PatchError as exc:
            failures.append(Problem("patch-failed", patch["path"], str(exc)))
    if official is not None:
        merge = MergeSet.load()
        theirs = copy.deepcopy(official)
        for patch in merge.patches:
            try:
                apply_pointer_patch(theirs, patch)
                report.note(f"official {patch['op']} {patch['path']}: {patch['reason']}")
            except PatchError as exc:
                failures.append(Problem("patch-failed", "official " + patch["path"], str(exc)))
        try:
            merge_official(patched, theirs, merge, report)
        except PatchError as exc:
            failures.append(Problem("merge-failed", "official spec", str(exc)))
    for rule in patchset.rules:
        RULES[rule["rule"]](patched, rule, report)
    return patched, report, failures


def _patch_reason_for(problem: Problem, patchset: PatchSet) -> str:
    """The reason of the patch that made a spec differ from the official one on purpose."""
    method, _, path = problem.where.partition(" ")
    path = path.split("[]")[0].split(".json")[0] + ".json"
    escaped = "/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()
    for patch in patchset.patches:
        if str(patch["path"]).startswith(escaped):
            return str(patch["reason"])
    return "no patch names it"


def render_preview(spec: Json, patchset: PatchSet, official: Json | None) -> str:
    patched, report, failures = apply_tolerant(spec, patchset, official)
    lines: list[str] = []
    operations = list_operations(patched)
    lines.append(f"== {len(operations)} operations")
    width = max((len(o.tool) for o in operations), default=10)
    for op in operations:
        lines.append(
            f"{op.tool:<{width}}  {op.method:<6} {op.path}  [{op.source or '?'}]  {op.summary}"
        )
    problems = find_problems(spec)
    remaining = find_problems(patched)
    lines.append("")
    lines.append(
        f"== {len(problems)} problems in the spec ({len(remaining)} left after the patch set)"
    )
    for problem in problems:
        fixed = "" if problem in remaining else "  (fixed by the patch set)"
        lines.append(f"{problem}{fixed}")
    merged_in = [p for p in remaining if p not in problems]
    if merged_in:
        lines.append("")
        lines.append(f"== {len(merged_in)} left in what the official spec brought")
        lines.extend(str(p) for p in merged_in)
    lines.append("")
    lines.append(f"== patch set: {len(report.applied)} entries applied")
    lines.extend(f"  {entry}" for entry in report.applied)
    for failure in failures:
        lines.append(f"  {failure}")
    lines.append("")
    if official is None:
        lines.append("== official spec not found: response shapes not compared")
    else:
        before, missing = compare_with_official(spec, official)
        after, _ = compare_with_official(patched, official)
        lines.append(
            f"== response shapes against the official spec: {len(before)} differences, "
            f"{len(after)} left after the patch set"
        )
        for problem in before:
            fixed = "" if problem in after else "  (fixed by the patch set)"
            lines.append(f"{problem}{fixed}")
        for problem in after:
            if problem not in before:
                lines.append(f"{problem}  (deliberate: {_patch_reason_for(problem, patchset)})")
        lines.append(
            f"== {len(missing)} operations the official spec does not have: {', '.join(missing)}"
        )
    return "\n".join(lines)


def load_official(path: Path | None) -> Json | None:
    path = path or default_official_spec()
    if not path.exists():
        return None
    loaded: Json = json.loads(path.read_text(encoding="utf-8"))
    return loaded
