"""The fake Jumpseller's route table, frozen.

``tests/fixtures/fake_routes.json`` is the table as it stood when ``_routes.py`` was split into
a package: every ``(method, path template)`` in the order the fake matches them, the handler
each one calls and whether the body type check guards it. A route lost, added, reordered or
wired to another handler fails here; a deliberate change regenerates the file with
``python -m tests.test_fake_routes > tests/fixtures/fake_routes.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jumpseller_async.testing import ROUTES
from jumpseller_async.testing._routes import ROUTES as HANDLED_ROUTES

FROZEN = Path(__file__).parent / "fixtures" / "fake_routes.json"


def describe(handler: Any) -> str:
    """``name`` for a function, ``Class(wrapper).name`` for a resource's bound method."""
    inner = getattr(handler, "__wrapped__", handler)
    owner = getattr(inner, "__self__", None)
    if owner is None:
        return str(inner.__name__)
    return f"{type(owner).__name__}({owner.wrapper}).{inner.__name__}"


def table() -> list[list[Any]]:
    return [
        [method, path, describe(handler), hasattr(handler, "__wrapped__")]
        for method, path, handler in HANDLED_ROUTES
    ]


def test_the_route_table_is_the_frozen_one() -> None:
    frozen = json.loads(FROZEN.read_text("utf-8"))
    assert [tuple(row[:2]) for row in frozen] == list(ROUTES)
    assert table() == frozen


if __name__ == "__main__":
    print("[\n" + ",\n".join(f"  {json.dumps(row)}" for row in table()) + "\n]")
