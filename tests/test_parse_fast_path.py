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
    monkeypatch.setattr(variant_fields, "_PARTIAL", {})
    full = {key: None for key in variant_fields._KEYS}
    parsed = models.VariantFields.from_dict({**full, "zz": 1})
    assert calls == [len(full) + 1]
    assert parsed.additional_properties == {"zz": 1}
    # A key missing: the general path, without trying the first fast one; its key set is learned.
    partial = dict(full)
    partial.pop("sku")
    assert models.VariantFields.from_dict(partial).sku is UNSET
    assert calls == [len(full) + 1]
    assert len(partial) in variant_fields._PARTIAL


def _drop(body: dict[str, Any], rng: random.Random, keys: int) -> dict[str, Any]:
    kept = dict(body)
    for key in rng.sample(sorted(kept), min(keys, len(kept))):
        del kept[key]
    return kept


@pytest.mark.parametrize("chunk", range(4))
def test_dicts_lacking_keys_parse_as_through_the_general_path(chunk: int) -> None:
    # The first dict of a length teaches its key set; the next ones of that length reuse it when
    # they fit (the same keys missing) and go field by field when they do not (others missing,
    # or an unknown key in place of a missing one).
    rng = random.Random(100 + chunk)

    class CountingDict(dict[int, Any]):
        def get(self, key: int, default: Any = None) -> Any:
            found = super().get(key, default)
            if found is not None:
                getter, in_field_order = found
                # Counted once the getter has read the dict (a misfit raises before).
                return (lambda d: (getter(d), uses.append(1))[0], in_field_order)
            return found

    uses: list[int] = []
    for name in MODEL_NAMES[chunk::4]:
        cls = getattr(models, name)
        module = sys.modules[cls.__module__]
        if len(_declared_keys(cls)) < 3:
            continue
        module._PARTIAL = CountingDict()
        full = _full_object(cls, rng, extra=False)
        lacking = _drop(full, rng, 2)
        same_keys = {key: copy.deepcopy(rng.choice(VALUES)) for key in lacking}
        other_keys = _drop(full, rng, 2)
        with_unknown = {**_drop(lacking, rng, 1), "zz_unknown_field": 1}
        for body in (lacking, same_keys, other_keys, with_unknown, same_keys):
            general = _parse(cls, types.MappingProxyType(copy.deepcopy(body)))
            assert _parse(cls, copy.deepcopy(body)) == general, f"{name}: {body!r:.300}"
        module._PARTIAL = {}
    # `same_keys` twice per model, read through its learned key set.
    assert len(uses) > 20


def test_a_learned_key_set_is_used_and_a_misfit_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    from jumpseller_async.api._models import variant_fields

    variant_fields._PARTIAL.clear()
    full = {key: None for key in variant_fields._KEYS}
    lacking = {k: v for k, v in full.items() if k not in ("sku", "barcode")}
    first = models.VariantFields.from_dict(dict(lacking))
    assert (first.sku, first.barcode) == (UNSET, UNSET)
    getter, in_field_order = variant_fields._PARTIAL[len(lacking)]
    values = in_field_order((*getter({**lacking, "price": 5}), UNSET))
    assert dict(zip(variant_fields._DECLARED, values, strict=True)) == {
        **full,
        "price": 5,
        "barcode": UNSET,
        "sku": UNSET,
    }

    calls: list[int] = []
    monkeypatch.setitem(
        variant_fields._PARTIAL,
        len(lacking),
        (lambda d: calls.append(len(d)) or getter(d), in_field_order),
    )
    second = models.VariantFields.from_dict({**lacking, "price": 5})
    assert calls == [len(lacking)]
    assert (second.price, second.sku, second.additional_properties) == (5, UNSET, {})
    # Same length, another key missing and an unknown one present: the getter cannot fit.
    misfit = {k: v for k, v in full.items() if k not in ("sku", "stock")}
    misfit["zz"] = 1
    third = models.VariantFields.from_dict(misfit)
    assert (third.barcode, third.stock, third.additional_properties) == (None, UNSET, {"zz": 1})


def test_learning_is_bounded_and_skips_dicts_with_unknown_keys() -> None:
    from jumpseller_async._keypatterns import MAX_PATTERNS, learn_key_pattern

    declared = tuple(f"k{i}" for i in range(20))
    patterns: dict[int, Any] = {}
    learn_key_pattern(patterns, declared, {"k1": 1, "k2": 2, "zz": 3})
    learn_key_pattern(patterns, declared, {"k1": 1})
    # Nothing learned, and the lengths are not asked about again.
    assert patterns == {3: None, 1: None}
    patterns.clear()
    for size in range(2, 2 + MAX_PATTERNS + 5):
        learn_key_pattern(patterns, declared, {key: 0 for key in declared[:size]})
    assert len(patterns) == MAX_PATTERNS
