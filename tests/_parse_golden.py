"""Frozen parse behaviour of the generated models, to prove a faster generator changed nothing.

``python -m tests._parse_golden capture`` generates the API once more with the *stock*
openapi-python-client model templates (our parse-speed overrides removed: ``model.py.jinja``,
``models_init.py.jinja``, the flat list parsing of ``flat_parse.jinja``) into a temporary copy of
the package, and records with it what every operation's parser and every model's ``from_dict``
make of

* real payloads: FakeJumpseller's 100-item product and order pages and one answer per operation
  (``tests/_opsamples.sample_answer``: official examples or synthesized from the spec), with
  their null variants;
* fuzzed objects (fixed seed): those payloads with nodes replaced by nulls, wrong types, huge
  integers, unknown fields and unlisted enum values, keys dropped; and random objects per model
  built from its field names.

Each case stores its input and the canonical form of the result (class names, every field,
``additional_properties``, enum members and whether they are listed, exact Python types) and of
``to_dict()``. ``tests/test_parse_golden.py`` re-parses the stored inputs with the committed
code and compares. Re-capture after the spec or the patches change (new fields change what the
stock generator itself produces); never from the committed, fast code.
"""

from __future__ import annotations

import asyncio
import copy
import enum
import gzip
import importlib
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import attrs
import httpx

GOLDEN = Path(__file__).parent / "data" / "parse_golden.json.gz"
SEED = 20261201
Json = Any


def canon(value: Any) -> Json:
    """A JSON-storable description of a parsed value that tells apart everything parsing decides."""
    from jumpseller_async.api._types import Unset

    if isinstance(value, Unset):
        return ["UNSET"]
    if isinstance(value, enum.Enum):
        listed = value in type(value).__members__.values()
        return ["enum", type(value).__name__, value.value, listed]
    if attrs.has(type(value)):
        fields = {
            f.name: canon(getattr(value, f.name))
            for f in attrs.fields(type(value))
            if f.name != "additional_properties"
        }
        extra = canon(getattr(value, "additional_properties", {}))
        return ["model", type(value).__name__, fields, extra]
    if isinstance(value, list):
        return ["list", [canon(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", {k: canon(v) for k, v in value.items()}]
    if value is None or isinstance(value, (bool, int, float, str)):
        return [type(value).__name__, value]
    raise TypeError(f"unexpected {type(value).__name__} in a parsed value")


def canon_json(value: Json) -> Json:
    """Plain JSON with exact Python types kept (``1`` and ``1.0`` and ``True`` differ)."""
    if isinstance(value, dict):
        return ["dict", {k: canon_json(v) for k, v in value.items()}]
    if isinstance(value, list):
        return ["list", [canon_json(v) for v in value]]
    if isinstance(value, enum.Enum):
        return ["enum", type(value).__name__, value.value]
    return [type(value).__name__, value]


class _FakeAnswer:
    """What generated ``_parse_response`` functions read."""

    def __init__(self, status_code: int, body: Json) -> None:
        self.status_code = status_code
        self._body = body

    def json(self) -> Json:
        return self._body


def parse_operation(module: Any, body: Json) -> Json:
    try:
        result = module._parse_response(_FakeAnswer(200, copy.deepcopy(body)))
    except Exception as exc:  # the failure is part of the behaviour
        return ["raised", type(exc).__name__]
    to_dict: Json
    if isinstance(result, list):
        to_dict = [canon_json(x.to_dict() if hasattr(x, "to_dict") else x) for x in result]
    elif hasattr(result, "to_dict"):
        to_dict = canon_json(result.to_dict())
    else:
        to_dict = canon_json(result)
    return ["ok", canon(result), to_dict]


def parse_model(cls: Any, body: Json) -> Json:
    try:
        result = cls.from_dict(copy.deepcopy(body))
    except Exception as exc:
        return ["raised", type(exc).__name__]
    return ["ok", canon(result), canon_json(result.to_dict())]


# --------------------------------------------------------------------------- inputs

_WRONG: list[Json] = [
    None,
    0,
    -1,
    2**70,
    1.5,
    "",
    "zz_unlisted",
    True,
    False,
    [],
    [1, "a", None],
    {},
    {"zz_unknown": 1},
    [{"zz_unknown": [None]}],
]


def mutate(value: Json, rng: random.Random, rate: float = 0.15) -> Json:
    """``value`` with some nodes nulled, retyped or renamed, and unknown keys added."""
    if rng.random() < rate:
        return copy.deepcopy(rng.choice(_WRONG))
    if isinstance(value, dict):
        out: dict[str, Json] = {}
        for key, item in value.items():
            roll = rng.random()
            if roll < rate / 3:
                continue  # key dropped
            out[key] = mutate(item, rng, rate)
        if rng.random() < rate:
            out[f"zz_extra_{rng.randrange(1000)}"] = copy.deepcopy(rng.choice(_WRONG))
        return out
    if isinstance(value, list):
        return [mutate(item, rng, rate) for item in value]
    if isinstance(value, str) and rng.random() < rate:
        return "zz_unlisted_" + value
    if isinstance(value, int) and not isinstance(value, bool) and rng.random() < rate:
        return value + 2**65
    return value


def random_object(cls: Any, rng: random.Random, depth: int = 0) -> Json:
    """An object with the model's own field names and values of any JSON type."""
    names = [f.name for f in attrs.fields(cls) if f.name != "additional_properties"]
    out: dict[str, Json] = {}
    for name in names:
        if rng.random() < 0.3:
            continue
        key = name.removeprefix("field_") if name.startswith("field_") else name
        out[key] = copy.deepcopy(rng.choice([*_WRONG, "text", 7, 3.25]))
    if rng.random() < 0.5:
        out["zz_unknown_field"] = rng.choice(_WRONG)
    return out


async def _fake_pages() -> dict[str, Json]:
    from jumpseller_async.testing import FakeJumpseller

    fake = FakeJumpseller(seed=1, products=100, orders=100, limits=None)
    pages: dict[str, Json] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake),
        base_url="http://fake/v1",
        auth=(fake.login, fake.authtoken),
    ) as http:
        for resource in ("products", "orders"):
            response = await http.get(f"/{resource}.json", params={"limit": 100})
            pages[resource] = response.json()
    return pages


def build_cases() -> list[dict[str, Json]]:
    from jumpseller_async import models
    from jumpseller_async._registry import operations
    from tests._opsamples import null_variants, sample_answer

    rng = random.Random(SEED)
    cases: list[dict[str, Json]] = []
    pages = asyncio.run(_fake_pages())
    for resource, body in pages.items():
        tool = f"{resource}.get{resource.capitalize()}Json"
        cases.append({"kind": "operation", "target": tool, "input": body})
        for _ in range(3):
            cases.append({"kind": "operation", "target": tool, "input": mutate(body, rng)})
    for tool, module in operations().items():
        op = module.OPERATION
        try:
            sample, _ = sample_answer(op.path, op.method.lower())
        except AssertionError:
            continue
        inputs = [sample, *null_variants(sample).values()]
        inputs += [mutate(sample, rng, 0.25) for _ in range(6)]
        inputs += [copy.deepcopy(w) for w in _WRONG[:8]]
        for body in inputs:
            cases.append({"kind": "operation", "target": tool, "input": body})
    for name in sorted(models.__all__):
        cls = getattr(models, name)
        if not attrs.has(cls):
            continue
        for _ in range(6):
            cases.append({"kind": "model", "target": name, "input": random_object(cls, rng)})
    return cases


def run_case(case: dict[str, Json]) -> Json:
    if case["kind"] == "operation":
        from jumpseller_async._registry import find

        return parse_operation(find(case["target"]), case["input"])
    models = importlib.import_module("jumpseller_async.models")
    return parse_model(getattr(models, case["target"]), case["input"])


_STOCK_FLAT_PARSE = """{#- Stock parsing for the golden capture: list answers as the stock template parses them. -#}
{% macro collect_enums(prop, ns) %}{% endmacro %}
{% macro list_(prop, v, depth) %}
{% import "property_templates/list_property.py.jinja" as t %}
_stock_source = {{ v }}
{{ t.construct(prop, "_stock_source") }}
{% endmacro %}
"""


def _stock_tree(tmp: Path) -> Path:
    """A copy of the package whose ``api`` is generated with the stock model templates."""
    import shutil

    import codegen._generate as generator

    root = Path(__file__).resolve().parent.parent
    package = tmp / "pkg" / "jumpseller_async"
    shutil.copytree(
        root / "jumpseller_async", package, ignore=shutil.ignore_patterns("api", "__pycache__")
    )
    templates = tmp / "templates"
    shutil.copytree(generator.TEMPLATES, templates)
    for name in ("model.py.jinja", "models_init.py.jinja"):
        (templates / name).unlink()
    (templates / "flat_parse.jinja").write_text(_STOCK_FLAT_PARSE, encoding="utf-8")
    generator.TEMPLATES = templates
    generator.generate(target=package / "api", lock_path=tmp / "lock.json")
    return package.parent


def capture() -> None:
    """Generate the stock tree and capture in a child process that imports it."""
    import subprocess
    import tempfile

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="parse-golden-") as tmp:
        pkg = _stock_tree(Path(tmp))
        env = {**os.environ, "PYTHONPATH": f"{pkg}{os.pathsep}{root}"}
        subprocess.run(
            [sys.executable, "-m", "tests._parse_golden", "capture-here", str(pkg)],
            check=True,
            cwd=pkg,
            env=env,
        )


def capture_here(expected_root: str) -> None:
    import jumpseller_async

    where = Path(jumpseller_async.__file__).resolve()
    if not where.is_relative_to(Path(expected_root).resolve()):
        raise SystemExit(f"capture-here must import the stock tree, imported {where}")
    if (where.parent / "api" / "_models" / "product.py").read_text().count("def _parse_") == 0:
        raise SystemExit("the tree under capture does not have the stock parsers")
    cases = build_cases()
    for case in cases:
        case["expected"] = run_case(case)
    GOLDEN.parent.mkdir(exist_ok=True)
    data = json.dumps(cases, ensure_ascii=False, sort_keys=True).encode()
    GOLDEN.write_bytes(gzip.compress(data, mtime=0))
    print(f"{len(cases)} cases, {len(data)} bytes -> {GOLDEN}")


def load() -> list[dict[str, Json]]:
    cases: list[dict[str, Json]] = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    return cases


if __name__ == "__main__":
    if sys.argv[1:] == ["capture"]:
        capture()
    elif sys.argv[1:2] == ["capture-here"] and len(sys.argv) == 3:
        capture_here(sys.argv[2])
    else:
        raise SystemExit("usage: python -m tests._parse_golden capture")
