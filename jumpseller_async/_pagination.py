"""Async iteration over list operations: by page number, and by id for changing stores.

The API gives no totals and no next links. Pages are fetched by number (``page``/``limit``) until
one comes back short or empty; when the matching ``…/count.json`` gives the total, the pages are
fetched concurrently (bounded) so latency never holds an export below the rate limit. Page numbers
skip or repeat items if the store changes mid-export, so for products and orders
:class:`AfterIdIterator` walks ``…/after/{id}.json`` instead.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs

from ._operation import MAX_PAGE_SIZE
from ._registry import OperationInfo, find, index
from .errors import APIError, ConfigurationError

logger = logging.getLogger("jumpseller_async")

if TYPE_CHECKING:
    from ._client import JumpsellerClient

T = TypeVar("T")

DEFAULT_CONCURRENCY = 8


class ListModule(Protocol[T]):
    """An operation module whose ``asyncio`` answers a list (``api.products.get_products_json``)."""

    @property
    def asyncio(self) -> Callable[..., Awaitable[list[T]]]: ...


class AfterModule(Protocol[T]):
    """An ``…/after/{id}.json`` operation module (``api.products.get_products_after_id_json``)."""

    @property
    def asyncio(self) -> Callable[..., Awaitable[list[T]]]: ...


# What paginate() takes: the operation's module or its asyncio function; T is the item type.
ListOperation = ListModule[T] | Callable[..., Awaitable[list[T]]]
AfterOperation = AfterModule[T] | Callable[..., Awaitable[list[T]]]
OperationLike = Any  # kept for callers that annotate with it


def resolve_operation(
    op: OperationLike,
) -> tuple[Callable[..., Awaitable[Any]], types.ModuleType, OperationInfo]:
    """The operation's ``asyncio`` function, its module and its index entry, from either of them."""
    if isinstance(op, types.ModuleType):
        module: types.ModuleType | None = op
    else:
        # A function's module is imported already: look it up, never import.
        module = sys.modules.get(getattr(op, "__module__", None) or "")
    function = getattr(module, "asyncio", None) if module is not None else None
    operation = getattr(module, "OPERATION", None) if module is not None else None
    entry = index().get(getattr(operation, "tool", None) or "")
    if function is None or module is None or entry is None:
        raise ConfigurationError(
            f"{op!r} is not a jumpseller_async operation: pass a module such as "
            "jumpseller_async.api.products.get_products_json or its asyncio function"
        )
    return function, module, entry


def count_operation_for(module: types.ModuleType) -> Callable[..., Awaitable[Any]] | None:
    """The ``…/count.json`` operation matching a list operation, if the API has one."""
    entry = index().get(module.OPERATION.tool)
    if entry is None or entry.count_tool is None:
        return None
    function: Callable[..., Awaitable[Any]] = find(entry.count_tool).asyncio
    return function


def _count_params(module: types.ModuleType) -> frozenset[str]:
    entry = index()[module.OPERATION.tool]
    return (
        frozenset(p.name for p in index()[entry.count_tool].params)
        if entry.count_tool
        else frozenset()
    )


def _count_value(answer: Any) -> int | None:
    count = getattr(answer, "count", None)
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return count
    return None


@attrs.define
class Paginator(Generic[T]):
    """``async for item in client.paginate(op, **params)``; ``.pages()`` yields whole pages."""

    client: JumpsellerClient
    operation: ListOperation[T]
    params: dict[str, Any]
    limit: int = MAX_PAGE_SIZE
    concurrency: int = DEFAULT_CONCURRENCY
    use_count: bool = True
    start_page: int = 1
    known_total: int | None = None
    requests: int = attrs.field(default=0, init=False)
    total: int | None = attrs.field(default=None, init=False)
    _function: Callable[..., Awaitable[Any]] = attrs.field(init=False, repr=False)
    _module: types.ModuleType = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.limit, int) or not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise ConfigurationError(
                f"limit must be an integer from 1 to {MAX_PAGE_SIZE}, got {self.limit!r}"
            )
        if not isinstance(self.concurrency, int) or self.concurrency < 1:
            raise ConfigurationError(
                f"concurrency must be a positive integer, got {self.concurrency!r}"
            )
        if not isinstance(self.start_page, int) or self.start_page < 1:
            raise ConfigurationError(
                f"start_page must be a positive integer, got {self.start_page!r}"
            )
        for reserved in ("page", "limit", "client"):
            if reserved in self.params:
                raise ConfigurationError(
                    f"paginate() sets {reserved!r} itself; pass limit= as paginate's own argument"
                )
        self._function, self._module, entry = resolve_operation(self.operation)
        module = self._module
        if not entry.paginated:
            raise ConfigurationError(
                f"{module.OPERATION.tool} does not take page/limit; call it directly"
            )

    async def _fetch(self, page: int) -> list[T]:
        self.requests += 1
        answer = await self._function(
            client=self.client, page=page, limit=self.limit, **self.params
        )
        if answer is None:
            return []
        if not isinstance(answer, list):
            raise ConfigurationError(
                f"{self._module.OPERATION.tool} does not return a list; call it directly"
            )
        return answer

    async def _known_total(self) -> int | None:
        if self.known_total is not None:
            return self.known_total
        if not self.use_count:
            return None
        module = self._module
        count_function = count_operation_for(module)
        if count_function is None:
            return None
        accepted = _count_params(module)
        params = {k: v for k, v in self.params.items() if k in accepted}
        self.requests += 1
        try:
            return _count_value(await count_function(client=self.client, **params))
        except APIError as exc:
            # The total only speeds things up; without it the pages are read one by one.
            logger.debug(
                "no total for %s (%s); reading pages sequentially", module.OPERATION.tool, exc
            )
            return None

    async def pages(self) -> AsyncIterator[list[T]]:
        """Whole pages, in order; stops on an empty or short page."""
        self.total = await self._known_total()
        page = self.start_page
        if self.total is not None:
            last_page = max(self.start_page - 1, math.ceil(self.total / self.limit))
            async for batch in self._concurrent_pages(page, last_page):
                yield batch
                if len(batch) < self.limit:
                    return
            page = last_page + 1
            # The store may have grown since the count: carry on one page at a time.
        while True:
            batch = await self._fetch(page)
            if not batch:
                return
            yield batch
            if len(batch) < self.limit:
                return
            page += 1

    async def _concurrent_pages(self, first: int, last: int) -> AsyncIterator[list[T]]:
        """Pages first..last with at most ``concurrency`` requests in flight, yielded in order."""
        pending: dict[int, asyncio.Task[list[T]]] = {}
        next_to_start = first
        try:
            for page in range(first, last + 1):
                while next_to_start <= last and len(pending) < self.concurrency:
                    pending[next_to_start] = asyncio.ensure_future(self._fetch(next_to_start))
                    next_to_start += 1
                batch = await pending.pop(page)
                yield batch
        finally:
            for task in pending.values():
                task.cancel()
            if pending:
                await asyncio.gather(*pending.values(), return_exceptions=True)

    async def __aiter__(self) -> AsyncIterator[T]:
        async for batch in self.pages():
            for item in batch:
                yield item


def wrapped_id(item: Any) -> int:
    """The id inside a wrapped item (``Product(product=ProductFields(id=…))``)."""
    for field in attrs.fields(type(item)):
        if field.name == "additional_properties":
            continue
        inner = getattr(item, field.name)
        value = getattr(inner, "id", None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    raise ConfigurationError(f"cannot find an integer id in {type(item).__name__}")


@attrs.define
class AfterIdIterator(Generic[T]):
    """Items with ids above ``after_id``, via ``…/after/{id}.json``: correct while the store changes.

    Each request asks for the items after the largest id seen so far, so an item added or removed
    mid-export neither shifts nor repeats the others. It stops on an empty answer.
    """

    client: JumpsellerClient
    operation: AfterOperation[T]
    params: dict[str, Any]
    after_id: int = 0
    requests: int = attrs.field(default=0, init=False)
    _function: Callable[..., Awaitable[Any]] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._function, module, _ = resolve_operation(self.operation)
        if not module.OPERATION.path.endswith("/after/{id}.json"):
            raise ConfigurationError(
                f"{module.OPERATION.tool} is not an …/after/{{id}}.json operation"
            )
        if not isinstance(self.after_id, int) or self.after_id < 0:
            raise ConfigurationError(
                f"after_id must be a non-negative integer, got {self.after_id!r}"
            )

    async def pages(self) -> AsyncIterator[Sequence[T]]:
        """Whole answers, in id order; stops on an empty one."""
        while True:
            self.requests += 1
            answer = await self._function(self.after_id, client=self.client, **self.params)
            batch = [item for item in (answer or []) if wrapped_id(item) > self.after_id]
            if not batch:
                return
            yield batch
            self.after_id = max(wrapped_id(item) for item in batch)

    async def __aiter__(self) -> AsyncIterator[T]:
        async for batch in self.pages():
            for item in batch:
                yield item
