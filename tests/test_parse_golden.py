"""Generated parsing behaves exactly as the stock generator's did (frozen in tests/data)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests._parse_golden import load, run_case

CASES = load()


def test_the_golden_data_covers_what_it_must() -> None:
    kinds = {(c["kind"], c["expected"][0]) for c in CASES}
    assert kinds == {("operation", "ok"), ("operation", "raised"), ("model", "ok")}
    text = repr([c["expected"] for c in CASES])
    assert "'enum'" in text and "False]" in text  # unlisted enum values were parsed
    assert "zz_extra_" in text and "zz_unknown_field" in text  # unknown fields were kept


@pytest.mark.parametrize("chunk", range(8))
def test_parse_and_to_dict_match_the_frozen_behaviour(chunk: int) -> None:
    mismatches: list[str] = []
    for case in CASES[chunk::8]:
        before = copy.deepcopy(case["input"])
        got: Any = run_case(case)
        if got != case["expected"]:
            mismatches.append(f"{case['kind']} {case['target']}: {case['input']!r:.200}")
        assert case["input"] == before, "parsing must not change its input"
    assert not mismatches, f"{len(mismatches)} cases differ, e.g. {mismatches[:3]}"
