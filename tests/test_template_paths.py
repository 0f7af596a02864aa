"""The model template's fast paths on shapes the Jumpseller spec does not have (yet).

Every property of the generated API is nullable, so none is required and none is parsed by a
stock construct outside a union; a spec patch could change that. A small spec
(``tests/data/template_paths.openapi.json``: required fields, non-nullable date-time, enum and
model fields, defaults, a one-field model, typed extra properties, no extra properties, fields
named ``d``, ``cls`` and ``v2``) is generated here with the project's templates, and each model's
``from_dict`` of a dict (the fast paths) must build what it builds field by field (any other
mapping).
"""

from __future__ import annotations

import copy
import importlib
import random
import re
import sys
import types
from pathlib import Path
from typing import Any

import attrs
import pytest

from codegen._generate import _rewrite_imports, _run_generator
from jumpseller_async import UNSET

SPEC = Path(__file__).parent / "data" / "template_paths.openapi.json"
PACKAGE = "template_paths_models"
VALUES: list[Any] = [
    "red",
    "blue",
    "2024-01-02T03:04:05",
    "2024-01-02",
    "not a date",
    7,
    None,
    True,
    3.5,
    {"id": 1},
    {"id": 1, "name": "n", "x": 2},
    {"name": "no id"},
    ["a", "b"],
    [1],
    {},
    [],
    UNSET,
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[type, types.ModuleType]]:
    out = tmp_path_factory.mktemp("generated") / "out"
    _run_generator(SPEC, out)
    root = tmp_path_factory.mktemp("package")
    models_dir = root / PACKAGE / "api" / "_models"
    models_dir.mkdir(parents=True)
    # The generated models import `..._keypatterns`, `.._types` and their siblings: the same
    # objects as the package's, under a package of their own.
    (root / PACKAGE / "__init__.py").write_text("")
    (root / PACKAGE / "_keypatterns.py").write_text(
        "from jumpseller_async._keypatterns import MISSING, learn_key_pattern\n"
    )
    (root / PACKAGE / "api" / "__init__.py").write_text("")
    (root / PACKAGE / "api" / "_types.py").write_text(
        "from jumpseller_async.api._types import UNSET, File, Unset\n"
    )
    (models_dir / "__init__.py").write_text("")
    for source in sorted((out / "models").glob("*.py")):
        if source.name != "__init__.py":
            (models_dir / source.name).write_text(_rewrite_imports(source.read_text()))
    sys.path.insert(0, str(root))
    try:
        found = []
        for source in sorted(models_dir.glob("*.py")):
            if source.name == "__init__.py":
                continue
            module = importlib.import_module(f"{PACKAGE}.api._models.{source.stem}")
            found += [
                (value, module)
                for value in vars(module).values()
                if isinstance(value, type)
                and attrs.has(value)
                and value.__module__ == module.__name__
            ]
    finally:
        sys.path.remove(str(root))
    yield found
    for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def _canon(value: Any) -> Any:
    """Type and value of everything a model holds (dates and enums included)."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return (
            type(value).__name__,
            tuple((f.name, _canon(getattr(value, f.name))) for f in fields),
        )
    if isinstance(value, dict):
        return ("dict", tuple(sorted((repr(k), _canon(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("list", tuple(_canon(v) for v in value))
    return (type(value).__name__, repr(value))


def _parse(cls: Any, body: Any) -> Any:
    try:
        result = cls.from_dict(body)
    except Exception as exc:
        return ("raised", type(exc).__name__)
    return ("ok", type(result).__name__, _canon(result))


def test_the_spec_reaches_the_template_branches(
    generated: list[tuple[type, types.ModuleType]],
) -> None:
    names = {cls.__name__ for cls, _ in generated}
    assert {"R1", "R2", "R3", "R4", "Clash", "DName", "NoAdd", "Typed", "TypedModel"} <= names
    sources = "".join(Path(module.__file__ or "").read_text() for _, module in generated)
    assert "_PARTIAL" in sources and "_PICK" in sources
    # A stock construct (here a date-time's) reading the fast path's scratch value.
    assert re.search(r"\n\s+_v2 = _0\n", sources)


@pytest.mark.parametrize("seed", range(3))
def test_a_dict_parses_as_any_other_mapping(
    generated: list[tuple[type, types.ModuleType]], seed: int
) -> None:
    rng = random.Random(seed)
    outcomes: set[str] = set()
    for cls, module in generated:
        keys = sorted(getattr(module, "_KEYS", ()))
        subclass = type(f"Sub{cls.__name__}", (cls,), {})  # built through __init__
        # Repeated key sets, so lengths are learned and reused, fit and misfit.
        shapes = [rng.sample(keys, rng.randint(0, len(keys))) for _ in range(5)]
        for _ in range(300):
            present = rng.choice(shapes) if rng.random() < 0.7 else keys
            body = {key: copy.deepcopy(rng.choice(VALUES)) for key in present}
            if rng.random() < 0.2:
                body["zz_unknown"] = rng.choice(VALUES)
            for target in (cls, subclass):
                general = _parse(target, types.MappingProxyType(copy.deepcopy(body)))
                fast = _parse(target, copy.deepcopy(body))
                assert fast == general, f"{target.__name__}: {body!r:.300}"
                outcomes.add(general[0] if general[0] == "ok" else general[1])
    assert {"ok", "KeyError"} <= outcomes  # required keys were missing in some


def test_a_field_named_like_a_scratch_name_keeps_its_own_value(
    generated: list[tuple[type, types.ModuleType]],
) -> None:
    clash = next(cls for cls, _ in generated if cls.__name__ == "Clash")
    body = {"v2": "2020-01-01T00:00:00", "mid": "m", "last": "2030-12-31T00:00:00"}
    parsed = clash.from_dict(body)
    assert (parsed.v2.year, parsed.last.year) == (2020, 2030)
