"""Every generated operation by tool name (``products.getProductsIdJson``), from the static index.

Codegen writes ``api/_index.py`` (tool name → module, method, path, parameters, body, answer type,
page companions, item type); nothing here imports an operation module until it is asked for.
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType
from typing import NamedTuple


class Param(NamedTuple):
    """One parameter of an operation: name, annotation (as written), required, ``path``/``query``."""

    name: str
    annotation: str
    required: bool
    where: str


class OperationInfo(NamedTuple):
    """What the index knows about one operation, without importing it."""

    tool: str
    module: str
    method: str
    path: str
    summary: str
    params: tuple[Param, ...]
    body: str | None
    returns: str
    paginated: bool
    """GET with ``page`` and ``limit``: :meth:`JumpsellerClient.paginate` walks it."""
    count_tool: str | None
    """The tool name of the matching ``…/count.json``, if any."""
    after_tool: str | None
    """The tool name of the matching ``…/after/{id}.json``, if any."""
    item: str | None
    """The model class of the list's items, for list answers."""

    def load(self) -> ModuleType:
        """The operation's module (imported now if it was not yet)."""
        return importlib.import_module(self.module)


@functools.cache
def index() -> dict[str, OperationInfo]:
    """Tool name → :class:`OperationInfo`, in tag and path order."""
    from .api._index import OPERATIONS

    return OPERATIONS


def info(tool: str) -> OperationInfo:
    """The index entry of a tool name; KeyError with close matches when unknown."""
    entries = index()
    if tool in entries:
        return entries[tool]
    lowered = tool.lower()
    close = [name for name in entries if lowered in name.lower()][:5]
    hint = f"; did you mean {', '.join(close)}?" if close else "; `jumpseller-async ops` lists them"
    raise KeyError(f"unknown operation {tool!r}{hint}")


def find(tool: str) -> ModuleType:
    """The module of a tool name; KeyError with close matches when unknown."""
    return info(tool).load()


def operations() -> dict[str, ModuleType]:
    """Tool name → operation module, every module imported (for tools that want them all)."""
    return {tool: entry.load() for tool, entry in index().items()}


@functools.cache
def _by_route() -> dict[tuple[str, str], OperationInfo]:
    return {(entry.method, entry.path): entry for entry in index().values()}


def by_route(method: str, path: str) -> ModuleType | None:
    """The operation serving ``method path`` (``GET``, ``/products/count.json``), if any."""
    entry = _by_route().get((method.upper(), path))
    return entry.load() if entry is not None else None
