"""What ``import jumpseller_async`` loads, and what waits for first use (issue 11's import time).

Every submodule (webhooks, oauth, testing, the CLI) imports the package root first, so the root
must stay light. These tests guard the structure, not a timing: the time is a benchmark's
(``python -m benchmarks --only speed``, section f2).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import jumpseller_async

ROOT = Path(__file__).resolve().parent.parent

# Loaded by the first JumpsellerClient, not by the import.
SENDING = {
    "asyncio",
    "jumpseller_async._clock",
    "jumpseller_async._limiter_registry",
    "jumpseller_async._operation",
    "jumpseller_async._ratelimit",
    "jumpseller_async._retry",
    "jumpseller_async._send",
}

# Loaded only by the paths that use them.
ON_DEMAND = {
    "attr",  # the generated models
    "attrs",
    "redis",  # Redis-shared limiters and token stores
    "jumpseller_async._export",
    "jumpseller_async._pagination",
    "jumpseller_async._redis_limiter",
    "jumpseller_async._stores",
    "jumpseller_async._tokenstore",
    "jumpseller_async.api._types",
    "jumpseller_async.models",
}


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    loaded: set[str] = set(json.loads(out.stdout.splitlines()[-1]))
    return loaded


def _generated(loaded: set[str]) -> set[str]:
    """Generated modules loaded, apart from the package and the namespaces the client composes."""
    return {m for m in loaded if m.startswith("jumpseller_async.api.")} - {
        "jumpseller_async.api._namespaces"
    }


def test_import_loads_neither_asyncio_nor_attrs_nor_any_generated_module() -> None:
    loaded = _modules_after("import jumpseller_async")
    assert "jumpseller_async._client" in loaded  # the probe does see our modules
    assert loaded & (SENDING | ON_DEMAND) == set()
    assert _generated(loaded) == set()


def test_the_first_client_loads_the_sending_machinery_and_nothing_else() -> None:
    loaded = _modules_after(
        "import jumpseller_async\n"
        "client = jumpseller_async.JumpsellerClient('lazy-store', 'lazy-token-000000000000000')\n"
        "assert client.limiter is not None"
    )
    assert loaded >= SENDING
    assert loaded & ON_DEMAND == set()
    assert _generated(loaded) == set()


def test_every_public_name_imports_from_a_fresh_interpreter() -> None:
    names = jumpseller_async.__all__
    code = (
        "import jumpseller_async\n"
        f"for name in {names!r}:\n"
        "    namespace = {}\n"
        "    exec(f'from jumpseller_async import {name}', namespace)\n"
        "    assert namespace[name] is getattr(jumpseller_async, name), name\n"
        "    assert name in dir(jumpseller_async), name"
    )
    loaded = _modules_after(code)
    assert {"jumpseller_async._stores", "jumpseller_async._export"} <= loaded


def test_lazy_names_are_public_and_the_objects_of_their_modules() -> None:
    lazy: dict[str, str] = jumpseller_async._LAZY
    assert set(lazy) <= set(jumpseller_async.__all__)
    for name, module in lazy.items():
        source = importlib.import_module(module, "jumpseller_async")
        assert getattr(jumpseller_async, name) is getattr(source, name)


def test_an_unknown_name_is_an_attribute_error_that_names_it() -> None:
    with pytest.raises(AttributeError, match="StoreRegistri"):
        jumpseller_async.StoreRegistri  # type: ignore[attr-defined]  # noqa: B018
