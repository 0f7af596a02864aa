"""Every public name of the root, and every public member of its classes, has a docstring."""

from __future__ import annotations

import inspect

import jumpseller_async


def test_every_public_member_has_a_docstring() -> None:
    missing: list[str] = []
    for name in jumpseller_async.__all__:
        obj = getattr(jumpseller_async, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if not inspect.isclass(obj):
            continue
        for attr, value in vars(obj).items():
            if attr.startswith("_"):
                continue
            target = (
                value.fget if isinstance(value, property) else getattr(value, "__func__", value)
            )
            if (callable(target) or isinstance(value, property)) and not (
                getattr(target, "__doc__", None) or ""
            ).strip():
                missing.append(f"{name}.{attr}")
    assert missing == []
