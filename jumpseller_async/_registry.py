"""Every generated operation by tool name (``products.getProductsIdJson``), imported on first use."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from types import ModuleType

from . import api


@functools.cache
def operations() -> dict[str, ModuleType]:
    """Tool name → operation module, in tag and path order."""
    found: dict[str, ModuleType] = {}
    for tag in pkgutil.iter_modules(api.__path__):
        if tag.name.startswith("_"):
            continue
        package = importlib.import_module(f"{api.__name__}.{tag.name}")
        for op in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{op.name}")
            found[module.OPERATION.tool] = module
    return found


def find(tool: str) -> ModuleType:
    """The module of a tool name; KeyError with close matches when unknown."""
    registry = operations()
    if tool in registry:
        return registry[tool]
    lowered = tool.lower()
    close = [name for name in registry if lowered in name.lower()][:5]
    hint = f"; did you mean {', '.join(close)}?" if close else "; `jumpseller-async ops` lists them"
    raise KeyError(f"unknown operation {tool!r}{hint}")


@functools.cache
def _by_route() -> dict[tuple[str, str], ModuleType]:
    return {(m.OPERATION.method, m.OPERATION.path): m for m in operations().values()}


def by_route(method: str, path: str) -> ModuleType | None:
    """The operation serving ``method path`` (``GET``, ``/products/count.json``), if any."""
    return _by_route().get((method.upper(), path))
