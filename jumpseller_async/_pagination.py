"""Async iteration over list operations: by page number, and by id for changing stores.

The API gives no totals and no next links. Pages are fetched by number (``page``/``limit``) until
one comes back short or empty; when the matching ``…/count.json`` gives the total, the pages are
fetched concurrently (bounded) so latency never holds an export below the rate limit. Page numbers
skip or repeat items if the store changes mid-export, so for products and orders
:class:`AfterIdIterator` walks ``…/after/{id}.json`` instead.
"""

from __future__ import annotations

import asyncio
import math
import sys
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs

from ._operation import MAX_PAGE_SIZE, PARSE_TURN
from ._redact import get_logger
from ._registry import OperationInfo, find, index
from .errors import APIError, ConfigurationError, PaginationError, ResponseParseError

logger = get_logger()

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
        except (APIError, ResponseParseError) as exc:
            # The total only speeds things up; without it the pages are read one by one.
            logger.debug(
                "no total for %s (%s); reading pages sequentially", module.OPERATION.tool, exc
            )
            return None

    async def pages(self) -> AsyncIterator[list[T]]:
        """Whole pages, in order; stops on an empty or short page.

        Raises :class:`PaginationError` when a page repeats the previous one (a cache or proxy
        that ignores ``page`` would otherwise make this loop forever).
        """
        self.total = await self._known_total()
        page = self.start_page
        previous: list[Any] | None = None
        if self.total is not None:
            last_page = max(self.start_page - 1, math.ceil(self.total / self.limit))
            async for batch in self._concurrent_pages(page, last_page):
                previous = self._check_advances(batch, previous, page)
                yield batch
                short = len(batch) < self.limit
                # A consumed page is let go before the next is awaited (it would otherwise live
                # on through the next page's parse: two pages of models at once, and colder
                # memory for the new one).
                del batch
                if short:
                    return
                page += 1
            page = last_page + 1
            # The store may have grown since the count: carry on one page at a time.
        while True:
            batch = await self._fetch(page)
            if not batch:
                return
            previous = self._check_advances(batch, previous, page)
            yield batch
            if len(batch) < self.limit:
                return
            del batch
            page += 1

    def _check_advances(self, batch: list[T], previous: list[Any] | None, page: int) -> list[Any]:
        """The page's fingerprint; raises if it is the previous page's."""
        fingerprint = [_identity(item) for item in batch]
        if fingerprint == previous:
            tool = self._module.OPERATION.tool
            raise PaginationError(
                f"{tool}: page {page} repeats page {page - 1} item for item; the server (or a "
                "cache in front of it) is ignoring the page number, so paging stopped rather "
                "than loop forever",
                operation=tool,
                page=page,
            )
        return fingerprint

    async def _fetch_in_turn(self, page: int, turn: asyncio.Event) -> list[T]:
        # Runs in its own task, so the turn is set in that task's context only.
        PARSE_TURN.set(turn.wait)
        return await self._fetch(page)

    async def _concurrent_pages(self, first: int, last: int) -> AsyncIterator[list[T]]:
        """Pages first..last with at most ``concurrency`` requests in flight, yielded in order.

        Answers that arrive early wait unparsed until their page is asked for (``PARSE_TURN``).
        """
        pending: dict[int, asyncio.Task[list[T]]] = {}
        turns: dict[int, asyncio.Event] = {}
        next_to_start = first
        try:
            for page in range(first, last + 1):
                while next_to_start <= last and len(pending) < self.concurrency:
                    turns[next_to_start] = turn = asyncio.Event()
                    pending[next_to_start] = asyncio.ensure_future(
                        self._fetch_in_turn(next_to_start, turn)
                    )
                    next_to_start += 1
                turns.pop(page).set()
                yield await pending.pop(page)
        finally:
            for task in pending.values():
                task.cancel()
            if pending:
                await asyncio.gather(*pending.values(), return_exceptions=True)

    async def __aiter__(self) -> AsyncIterator[T]:
        async for batch in self.pages():
            for item in batch:
                yield item
            del batch  # not alive through the next page's fetch and parse


_WRAPPER_FIELDS: dict[type, tuple[str, ...]] = {}


def _wrapper_fields(cls: type) -> tuple[str, ...]:
    """The fields of an attrs class that may wrap an item with an id; looked up once per class,
    since every item of every page asks."""
    names = _WRAPPER_FIELDS.get(cls)
    if names is None:
        names = (
            tuple(f.name for f in attrs.fields(cls) if f.name != "additional_properties")
            if attrs.has(cls)
            else ()
        )
        if len(_WRAPPER_FIELDS) >= 1024:  # classes made on the fly must not pile up
            _WRAPPER_FIELDS.clear()
        _WRAPPER_FIELDS[cls] = names
    return names


_NO_OWN_ID: dict[type, bool] = {}


def _has_no_own_id(cls: type) -> bool:
    """True for a class whose instances cannot have an ``id`` (a wrapper such as ``Product``):
    slots only, none named ``id``, attribute lookup left to ``object``.

    Asked per item, answered once per class (a failed ``getattr`` costs an exception each time):
    a class is judged as it is when first seen, so an ``id`` added to it later is not looked for.
    """
    answer = _NO_OWN_ID.get(cls)
    if answer is None:
        answer = (
            cls.__dictoffset__ == 0
            and not hasattr(cls, "id")
            and not hasattr(cls, "__getattr__")
            and getattr(cls, "__getattribute__", None) is object.__getattribute__
        )
        if len(_NO_OWN_ID) >= 1024:  # classes made on the fly must not pile up
            _NO_OWN_ID.clear()
        _NO_OWN_ID[cls] = answer
    return answer


def _wrapped_id_or_none(item: Any) -> int | None:
    """The id of an item (``item.id``) or inside a wrapped one (``Product(product=…(id=…))``)."""
    if not _has_no_own_id(type(item)):
        direct = getattr(item, "id", None)
        if isinstance(direct, int) and not isinstance(direct, bool):
            return direct
    for name in _wrapper_fields(type(item)):
        value = getattr(getattr(item, name), "id", None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _identity(item: Any) -> Any:
    """What tells two items apart: the id when there is one, else the whole item."""
    if item is None:
        return None
    item_id = _wrapped_id_or_none(item)
    if item_id is not None:
        return item_id
    to_dict = getattr(item, "to_dict", None)
    return to_dict() if callable(to_dict) else item


def wrapped_id(item: Any) -> int:
    """The id inside a wrapped item (``Product(product=ProductFields(id=…))``)."""
    item_id = _wrapped_id_or_none(item)
    if item_id is None:
        raise ConfigurationError(f"cannot find an integer id in {type(item).__name__}")
    return item_id


def max_id(batch: Sequence[Any]) -> int:
    """The largest id in a page of :class:`AfterIdIterator`, whose ``None`` items have none."""
    return max(wrapped_id(item) for item in batch if item is not None)


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
    _module: types.ModuleType = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._function, self._module, _ = resolve_operation(self.operation)
        module = self._module
        if not module.OPERATION.path.endswith("/after/{id}.json"):
            raise ConfigurationError(
                f"{module.OPERATION.tool} is not an …/after/{{id}}.json operation"
            )
        if not isinstance(self.after_id, int) or self.after_id < 0:
            raise ConfigurationError(
                f"after_id must be a non-negative integer, got {self.after_id!r}"
            )

    async def pages(self) -> AsyncIterator[Sequence[T]]:
        """Pages of items after the largest id seen; ``None`` items (the API's null) are kept."""
        while True:
            self.requests += 1
            answer = await self._function(self.after_id, client=self.client, **self.params)
            batch: list[T] = []
            newest = self.after_id
            for item in answer or []:
                item_id = None if item is None else _wrapped_id_or_none(item)
                if item is not None and item_id is None:
                    tool = self._module.OPERATION.tool
                    raise PaginationError(
                        f"{tool}: an item has no integer id, so there is no id to continue after",
                        operation=tool,
                    )
                if item_id is None or item_id > self.after_id:
                    batch.append(item)
                    newest = max(newest, item_id or 0)
            if newest == self.after_id:
                # Nothing new (an empty page, or only items already seen): the end.
                return
            yield batch
            self.after_id = newest
            # Not alive through the next page's fetch and parse (the loop ran: all are bound).
            del answer, batch, item, item_id

    async def __aiter__(self) -> AsyncIterator[T]:
        async for batch in self.pages():
            for item in batch:
                yield item
            del batch  # not alive through the next page's fetch and parse
