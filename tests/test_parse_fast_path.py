"""`from_dict`'s fast path (a dict with every declared key) builds what its general path builds."""

from __future__ import annotations

import copy
import random
import sys
import types
from typing import Any

import attrs
import pytest

from jumpseller_async import UNSET, models
from tests._parse_golden import _WRONG, canon

MODEL_NAMES = [n for n in sorted(models.__all__) if attrs.has(getattr(models, n))]
VALUES: list[Any] = [*_WRONG, "text", 7, 3.25, {"id": 1, "name": "x"}, [{"id": 2}]]


def _declared_keys(cls: Any) -> tuple[str, ...]:
    return tuple(sys.modules[cls.__module__]._KEYS)


def _full_object(cls: Any, rng: random.Random, extra: bool) -> dict[str, Any]:
    out = {key: copy.deepcopy(rng.choice(VALUES)) for key in _declared_keys(cls)}
    if extra:
        out["zz_unknown_field"] = copy.deepcopy(rng.choice(VALUES))
    return out


def _parse(cls: Any, body: Any) -> Any:
    try:
        result = cls.from_dict(body)
    except Exception as exc:  # the paths must fail alike too
        return ("raised", type(exc).__name__)
    return ("ok", canon(result), canon(result.to_dict()))


@pytest.mark.parametrize("chunk", range(4))
def test_a_dict_with_every_key_parses_as_through_the_general_path(chunk: int) -> None:
    rng = random.Random(chunk)
    checked = 0
    for name in MODEL_NAMES[chunk::4]:
        cls = getattr(models, name)
        if not _declared_keys(cls):
            continue
        for case in range(8):
            body = _full_object(cls, rng, extra=case % 2 == 1)
            # A mapping that is not a dict takes the general (field by field) path.
            general = _parse(cls, types.MappingProxyType(copy.deepcopy(body)))
            fast = _parse(cls, copy.deepcopy(body))
            assert fast == general, f"{name}: {body!r:.300}"
            checked += 1
    assert checked > 100


def test_the_fast_path_is_taken_for_a_dict_with_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from jumpseller_async.api._models import variant_fields

    calls: list[int] = []
    real_pick = variant_fields._PICK

    def counting_pick(d: dict[str, Any]) -> Any:
        calls.append(len(d))
        return real_pick(d)

    monkeypatch.setattr(variant_fields, "_PICK", counting_pick)
    full = {key: None for key in variant_fields._KEYS}
    parsed = models.VariantFields.from_dict({**full, "zz": 1})
    assert calls == [len(full) + 1]
    assert parsed.additional_properties == {"zz": 1}
    # A key missing: the general path, without trying the fast one.
    partial = dict(full)
    partial.pop("sku")
    assert models.VariantFields.from_dict(partial).sku is UNSET
    assert calls == [len(full) + 1]
