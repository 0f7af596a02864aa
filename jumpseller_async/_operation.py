"""What every generated operation calls: send through the client, parse, raise typed errors.

Generated modules build the request (method, path, params, body) and the parser; this module is
the seam between them and the hand-written client, so the generated code never handles
credentials, retries or error mapping itself.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast
from urllib.parse import quote

import httpx

from ._json import loads
from ._redact import (
    redact_bytes,
    redact_data,
    redact_secrets,
    redact_text,
    redact_url,
    registered_secrets,
)
from ._retry import parse_ban_reset, parse_retry_after
from ._types import Unset
from .errors import (
    APIError,
    ConfigurationError,
    RateLimitError,
    ResponseParseError,
    error_class_for_status,
)

if TYPE_CHECKING:
    from ._client import JumpsellerClient

T = TypeVar("T")

# Set by a paginator in the tasks that prefetch its pages: awaited once an answer has arrived and
# before it is parsed, so prefetched pages wait as raw bytes and are parsed in the order they are
# consumed (a parsed page is ten times the size of its body and costs the collector to keep).
PARSE_TURN: ContextVar[Callable[[], Awaitable[Any]] | None] = ContextVar(
    "jumpseller_async_parse_turn", default=None
)

# What a broken body can raise inside generated from_dict code; anything else is a bug to surface.
_PARSE_FAILURES = (ValueError, KeyError, TypeError, AttributeError, IndexError)


# Dataclasses, not attrs: the core path then never loads attrs (about 13 ms of import time).
@dataclass(frozen=True, slots=True)
class Operation:
    """One API operation: its tool name (``products.getProductsIdJson``), method and path."""

    tool: str
    method: str
    path: str
    summary: str = ""


@dataclass(slots=True)
class Response(Generic[T]):
    """An answer: status, headers, raw content and the parsed body (``None`` if undocumented)."""

    status_code: int
    content: bytes = field(repr=False)
    headers: httpx.Headers
    parsed: T | None
    operation: Operation
    url: str = field(repr=False, default="")

    @property
    def is_success(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status_code <= 299

    def __repr__(self) -> str:
        # Headers (a Location) and a parsed error body may echo the token back.
        return redact_secrets(
            f"Response(status_code={self.status_code!r}, headers={self.headers!r}, "
            f"parsed={self.parsed!r}, operation={self.operation!r})"
        )


# httpx refuses a URL longer than 65,536 characters; the rest leaves room for credentials that
# QueryAuth adds to the query after this check.
MAX_URL_LENGTH = 60_000


def path_segment(value: object, name: str = "path value") -> str:
    """A path parameter as one escaped segment: ``/``, ``+``, spaces, ``?`` and ``#`` are escaped,
    and ``.``/``..`` are too, or URL normalisation would climb out of the segment.

    ``None`` and ``UNSET`` are refused: they would be sent as ``/products/None.json``.
    """
    if value is None or isinstance(value, Unset):
        raise ConfigurationError(
            f"path parameter {name} is required, got {'None' if value is None else 'UNSET'}"
        )
    try:
        text = quote(str(value), safe="")
    except UnicodeEncodeError:
        raise ConfigurationError(
            f"path parameter {name} is not valid text (it holds a lone surrogate)"
        ) from None
    if len(text) > MAX_URL_LENGTH:
        raise ConfigurationError(
            f"path parameter {name} is {len(text):,} characters once escaped; a URL holds at most "
            f"{MAX_URL_LENGTH:,}"
        )
    return text.replace(".", "%2E") if text in (".", "..") else text


class _Answer:
    """The slice of an httpx.Response the generated parsers read, with the JSON decoded once."""

    __slots__ = ("_decoded", "content", "headers", "status_code")
    _UNDECODED: Any = object()

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content = response.content
        self.headers = response.headers
        self._decoded: Any = self._UNDECODED

    def json(self) -> Any:
        if self._decoded is self._UNDECODED:
            self._decoded = loads(self.content)
        return self._decoded


def decode_body(content: bytes) -> Any:
    """The body as JSON if it is JSON, else as text (for error messages), never raising.

    Every registered secret is hidden: servers echo request targets (with a query token) in
    error bodies, and this body ends up in exceptions.
    """
    if not content:
        return None
    try:
        return redact_data(loads(content))
    except ValueError:
        # Registered secrets only: the log-line patterns would crawl through a 20 MB page.
        return redact_text(content.decode("utf-8", errors="replace"), registered_secrets())


def is_rate_limit_answer(status_code: int, content: bytes) -> bool:
    """429, or the documented 403 whose body says "Rate Limit Exceeded"."""
    if status_code == 429:
        return True
    return status_code == 403 and b"rate limit exceeded" in content.lower()


MAX_PAGE_SIZE = 100


def _check_page_size(operation: Operation, request_kwargs: dict[str, Any]) -> None:
    limit = request_kwargs.get("params", {}).get("limit")
    if limit is not None and not (isinstance(limit, int) and 1 <= limit <= MAX_PAGE_SIZE):
        # The spec says 200, the API says 100: a larger page would come back cut short, silently.
        raise ConfigurationError(
            f"{operation.tool}: limit={limit!r} is outside the API's page size range 1..{MAX_PAGE_SIZE}"
        )


_QUERY_SCALARS = (str, int, float)  # bool is an int

# Percent-encoding turns one character into at most 12 (4 UTF-8 bytes, "%XX" each); a number
# is at most 24 characters. These bounds let the common request skip building its URL twice.
_ENCODED_PER_CHAR = 12
_ENCODED_NUMBER = 32


def _query_bound(name: str, value: Any) -> int | str:
    """An upper bound of the parameter's encoded length, or why it cannot be sent."""
    values = value if isinstance(value, (list, tuple)) else (value,)
    bound = 0
    for item in values:
        if isinstance(item, str):
            if item.isascii():
                bound += 3 * len(item)
            else:
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return f"query parameter {name} cannot be sent (it holds a lone surrogate)"
                bound += _ENCODED_PER_CHAR * len(item)
        elif isinstance(item, _QUERY_SCALARS):
            bound += _ENCODED_NUMBER
        else:
            # httpx would send str(item): a repr like "<object object at 0x…>" or "{'a': 1}".
            return (
                f"query parameter {name} cannot be sent (a {type(item).__name__} is no query value)"
            )
        bound += 3 * len(name) + 2
    return bound


def _check_url_exactly(
    client: JumpsellerClient, operation: Operation, path: str, params: dict[str, Any]
) -> None:
    sizes = {f"query parameter {k}": len(str(httpx.QueryParams({k: v}))) for k, v in params.items()}
    sizes["the path"] = len(path)
    largest = max(sizes, key=lambda key: sizes[key])
    if sizes[largest] > MAX_URL_LENGTH:
        raise ConfigurationError(
            f"{operation.tool}: {largest} is {sizes[largest]:,} characters once encoded; a URL "
            f"holds at most {MAX_URL_LENGTH:,}"
        )
    try:
        length = len(str(httpx.URL(client.base_url + path, params=params)))
    except httpx.InvalidURL as exc:
        problem = str(exc)
    else:
        if length <= MAX_URL_LENGTH:
            return
        problem = f"{length:,} characters, at most {MAX_URL_LENGTH:,}"
    raise ConfigurationError(
        f"{operation.tool}: the request URL is too long ({problem}); the largest part is "
        f"{largest} ({sizes[largest]:,} characters)"
    )


def check_request(
    client: JumpsellerClient, operation: Operation, request_kwargs: dict[str, Any]
) -> None:
    """Refuse, before a limiter slot is taken, a request that could never be sent.

    httpx would raise a bare ``InvalidURL``, ``TypeError`` or ``UnicodeEncodeError`` only once the
    request is being sent, after the rate limiter counted it.
    """
    params: dict[str, Any] = request_kwargs.get("params") or {}
    path: str = request_kwargs["url"]
    bound = len(client.base_url) + len(path) + 1
    for name, value in params.items():
        size = _query_bound(name, value)
        if isinstance(size, str):
            raise ConfigurationError(f"{operation.tool}: {size}")
        bound += size
    if bound > MAX_URL_LENGTH:
        _check_url_exactly(client, operation, path, params)
    if "json" in request_kwargs:
        try:
            # What httpx does with json=, so a body it would refuse is refused here, unsent.
            json.dumps(
                request_kwargs["json"], ensure_ascii=False, separators=(",", ":"), allow_nan=False
            ).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            raise ConfigurationError(
                f"{operation.tool}: the body cannot be sent as JSON ({type(exc).__name__}: "
                f"{redact_secrets(str(exc))[:200]})"
            ) from None


def _parse_failure(
    operation: Operation, response: httpx.Response, exc: Exception
) -> ResponseParseError:
    # Secrets are hidden before the snippet is cut, so no prefix of one survives the cut.
    content = redact_bytes(response.content)
    snippet = content[:80].decode("utf-8", errors="replace")
    reason = redact_secrets(str(exc))[:200]
    return ResponseParseError(
        f"{operation.tool}: HTTP {response.status_code} answer is not the JSON this "
        f"operation returns ({type(exc).__name__}: {reason}); body starts {snippet!r}",
        operation=operation.tool,
        status_code=response.status_code,
        content=content,
    )


def _parse_with_gc_paused(
    parse: Callable[[httpx.Response], T | None], answer: httpx.Response
) -> T | None:
    """``parse(answer)`` with the cyclic garbage collector's automatic runs held off meanwhile.

    Decoding and parsing a 100-item page allocates some 3,000 containers, every one of them alive
    until the parse ends: collections during it free nothing, yet they walk the whole page again
    and again and promote it (with the decoded JSON, which dies right after) to older generations,
    which brings on full collections of the process. Held off, the next collection sees only the
    models still referenced; it runs with the first allocation after the parse, so cyclic garbage
    (a page makes none) waits a few milliseconds at most. When the application has disabled the
    collector, it is left disabled.
    """
    if not gc.isenabled():
        return parse(answer)
    gc.disable()
    try:
        return parse(answer)
    finally:
        gc.enable()


async def send(
    client: JumpsellerClient,
    operation: Operation,
    request_kwargs: dict[str, Any],
    parse: Callable[[httpx.Response], T | None],
) -> Response[T]:
    _check_page_size(operation, request_kwargs)
    check_request(client, operation, request_kwargs)
    response = await client._send_operation(operation, request_kwargs)
    turn = PARSE_TURN.get()
    if turn is not None:
        await turn()
    success = 200 <= response.status_code <= 299
    parsed: T | None = None
    failure: Exception | None = None
    try:
        # 204 and other empty 2xx answers carry nothing to parse: the parsed body is None.
        if response.content or not success:
            parsed = _parse_with_gc_paused(parse, cast(httpx.Response, _Answer(response)))
    except _PARSE_FAILURES as exc:
        # An error page that is not JSON: the status says what happened, the body stays raw.
        failure = exc if success else None
    if failure is not None:
        error = _parse_failure(operation, response, failure)
        if redact_secrets(repr(failure.args)) == repr(failure.args):
            # Chained for debugging only when the decoder's message holds no echoed secret.
            raise error from failure
        # Raised outside the except block, so not even __context__ carries the secret.
        raise error
    return Response(
        status_code=response.status_code,
        content=response.content,
        headers=response.headers,
        parsed=parsed,
        operation=operation,
        url=redact_url(response.request.url),
    )


def error_for(response: Response[Any]) -> APIError:
    """The typed error for a non-2xx answer; secrets the server echoed are hidden."""
    body = decode_body(response.content)
    status = response.status_code
    if is_rate_limit_answer(status, response.content):
        error_class: type[APIError] = RateLimitError
    else:
        error_class = error_class_for_status(status)
    detail = ""
    if isinstance(body, dict):
        detail = str(body.get("message") or body.get("error") or body.get("errors") or "")
    elif isinstance(body, str):
        detail = body.strip().splitlines()[0][:120] if body.strip() else ""
    message = (
        f"{response.operation.tool}: HTTP {status} from {response.operation.method} {response.url}"
    )
    if detail:
        # A server can put megabytes in "message": the full body stays on the error.
        message += f": {detail[:300]}"
    if error_class is RateLimitError:
        return RateLimitError(
            message,
            banned_until=parse_ban_reset(response.headers),
            retry_after=parse_retry_after(response.headers),
            status_code=status,
            method=response.operation.method,
            url=response.url,
            body=body,
            headers=response.headers,
            operation=response.operation.tool,
        )
    return error_class(
        message,
        status_code=status,
        method=response.operation.method,
        url=response.url,
        body=body,
        headers=response.headers,
        operation=response.operation.tool,
    )


def unwrap(response: Response[T]) -> T | None:
    """The parsed body of a 2xx answer; a typed error for anything else."""
    if response.is_success:
        return response.parsed
    raise error_for(response)


def unwrap_required(response: Response[T]) -> T:
    """The parsed body of a 2xx answer to an operation that documents one; a typed error for
    anything else, including an empty 2xx (``asyncio()`` is typed to return the model, never None).
    """
    if not response.is_success:
        raise error_for(response)
    if response.parsed is None:
        operation = response.operation
        raise ResponseParseError(
            f"{operation.tool}: HTTP {response.status_code} answer to {operation.method} "
            f"{response.url} has an empty body; the operation documents one",
            operation=operation.tool,
            status_code=response.status_code,
            content=response.content,
        )
    return response.parsed
