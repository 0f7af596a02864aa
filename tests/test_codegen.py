"""The codegen pipeline: untouched spec, patch data, lock, headers, preview, and the staleness check."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
import tomllib

from codegen.__main__ import stale_diff
from codegen._generate import HEADER, LOCK_PATH, TARGET, generator_version
from codegen._merge import OFFICIAL_PATH, build_spec, load_official
from codegen._preview import list_operations, render_preview
from codegen._spec import (
    SPEC_PATH,
    PatchError,
    PatchSet,
    apply_patchset,
    apply_pointer_patch,
    canonical_json,
    load_spec,
)

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPEC = ROOT.parent / "shared" / "spec" / "jumpseller-apisguru-1.0.0.openapi.yaml"
SHARED_OFFICIAL = ROOT.parent / "shared" / "spec" / "jumpseller-official-3.0.3.openapi.json"
# sha256 of the two documents as published (apis.guru's jumpseller.com 1.0.0, Jumpseller's 3.0.3),
# fixed here rather than read from lock.json, which `make generate` rewrites from what is on disk.
APISGURU_SHA256 = "3aa50861384a74e93cae054e08e3838b297b8c4003e5aa512882846078475037"
OFFICIAL_SHA256 = "c3b5ae53a49c12bb61263cc9b0166f72f7338ee14ba38c4db739491c22b2aab0"


def test_spec_is_the_apisguru_document_byte_for_byte() -> None:
    assert hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() == APISGURU_SHA256
    if SHARED_SPEC.exists():  # beside the shared copy too, compare the bytes themselves
        assert SPEC_PATH.read_bytes() == SHARED_SPEC.read_bytes()


def test_official_spec_is_jumpsellers_document_byte_for_byte() -> None:
    assert hashlib.sha256(OFFICIAL_PATH.read_bytes()).hexdigest() == OFFICIAL_SHA256
    if SHARED_OFFICIAL.exists():
        assert OFFICIAL_PATH.read_bytes() == SHARED_OFFICIAL.read_bytes()


def test_lock_records_both_specs_patched_spec_and_exact_generator() -> None:
    lock = json.loads(LOCK_PATH.read_text())
    assert lock["spec_sha256"] == hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest()
    assert lock["official_spec"] == "codegen/jumpseller-official-3.0.3.openapi.json"
    assert lock["official_spec_sha256"] == hashlib.sha256(OFFICIAL_PATH.read_bytes()).hexdigest()
    # The committed copy is the one Jumpseller published (sha256 of spec 3.0.3 as downloaded).
    assert (
        lock["official_spec_sha256"]
        == "c3b5ae53a49c12bb61263cc9b0166f72f7338ee14ba38c4db739491c22b2aab0"
    )
    patched, _ = build_spec()
    assert lock["patched_spec_sha256"] == hashlib.sha256(canonical_json(patched)).hexdigest()
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"][
        "dev"
    ]
    pinned = next(p for p in pins if p.startswith("openapi-python-client"))
    assert pinned == lock["generator"] == f"openapi-python-client=={generator_version()}"


def test_every_generated_file_carries_the_header() -> None:
    files = list(TARGET.rglob("*.py"))
    assert len(files) > 300
    for path in files:
        assert path.read_text(encoding="utf-8").startswith(HEADER), path


def test_every_patch_entry_has_a_reason() -> None:
    patchset = PatchSet.load()
    assert patchset.patches and patchset.rules
    for entry in [*patchset.patches, *patchset.rules]:
        assert len(str(entry["reason"])) > 20


def test_patching_leaves_the_original_untouched() -> None:
    spec = load_spec()
    before = copy.deepcopy(spec)
    apply_patchset(spec, PatchSet.load())
    assert spec == before
    official = load_official()
    official_before = copy.deepcopy(official)
    build_spec(spec, official=official)
    assert spec == before
    assert official == official_before


def test_pointer_patches_add_replace_remove_and_name_bad_paths() -> None:
    doc = {"a": {"b~c": 1, "d/e": [1, 2]}}
    apply_pointer_patch(doc, {"op": "replace", "path": "/a/b~0c", "value": 2})
    apply_pointer_patch(doc, {"op": "add", "path": "/a/d~1e/-", "value": 3})
    apply_pointer_patch(doc, {"op": "remove", "path": "/a/d~1e/0"})
    assert doc == {"a": {"b~c": 2, "d/e": [2, 3]}}
    with pytest.raises(PatchError, match="no 'zzz'"):
        apply_pointer_patch(doc, {"op": "replace", "path": "/a/zzz", "value": 1})


def test_preview_lists_183_operations_with_tool_names_and_sources() -> None:
    patched, _ = build_spec()
    operations = list_operations(patched)
    assert len(operations) == 183
    assert {op.source for op in operations} == {"both", "apis.guru", "official"}
    tools = {op.tool: op for op in operations}
    assert tools["products.getProductsIdJson"].path == "/products/{id}.json"
    assert tools["customerAdditionalFields.getCustomersIdFieldsFieldId"].method == "GET"
    # The tool name is the module path: tag package + operation module, both snake_cased.
    for op in operations:
        tag, name = (re.sub(r"(?<!^)(?=[A-Z])", "_", part).lower() for part in op.tool.split("."))
        module = import_module(f"jumpseller_async.api.{tag}.{name}")
        assert module.OPERATION.tool == op.tool
        assert (module.OPERATION.method, module.OPERATION.path) == (op.method, op.path)


def test_preview_reports_problems_and_shape_fixes() -> None:
    text = render_preview(load_spec(), PatchSet.load(), load_official())
    assert "== 183 operations" in text
    assert "[credentials]" in text and "[page-limit]" in text and "[unknown-format]" in text
    assert "GET /categories.json" in text
    assert "POST   /fulfillments.json  [official]" in text
    assert "GET    /products/{id}.json  [both]" in text
    assert (
        "wrapper keys ['category'] but the official spec has ['customer_category']  (fixed by the patch set)"
        in text
    )
    assert "patch-failed" not in text and "merge-failed" not in text
    without = render_preview(load_spec(), PatchSet.load(), None)
    assert "== 142 operations" in without


def test_preview_command_writes_nothing(tmp_path: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in TARGET.rglob("*.py")}
    lock_before = LOCK_PATH.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "codegen", "preview"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "products.getProductsIdJson" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in TARGET.rglob("*.py")} == before
    assert LOCK_PATH.read_bytes() == lock_before


def test_check_passes_on_the_committed_tree_and_fails_on_an_edit(tmp_path: Path) -> None:
    assert stale_diff() == []
    edited = tmp_path / "api"
    shutil.copytree(TARGET, edited)
    victim = edited / "products" / "get_products_id_json.py"
    victim.write_text(victim.read_text() + "\n# hand edit\n")
    diff = stale_diff(target=edited, lock_path=LOCK_PATH)
    assert any("hand edit" in line for line in diff)
    assert any(line.startswith("--- committed/products/get_products_id_json.py") for line in diff)
