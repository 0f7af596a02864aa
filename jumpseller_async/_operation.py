"""What every generated operation calls: send through the client, parse, raise typed errors.

Generated modules build the request (method, path, params, body) and the parser; this module is
the seam between them and the hand-written client, so the generated code never handles
credentials, retries or error mapping itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast
from urllib.parse import quote

import attrs
import httpx

from ._auth import redact_url
from ._json import loads
from ._retry import parse_ban_reset
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

# What a broken body can raise inside generated from_dict code; anything else is a bug to surface.
_PARSE_FAILURES = (ValueError, KeyError, TypeError, AttributeError, IndexError)


@attrs.frozen
class Operation:
    """One API operation: its tool name (``products.getProductsIdJson``), method and path."""

    tool: str
    method: str
    path: str
    summary: str = ""


@attrs.define
class Response(Generic[T]):
    """An answer: status, headers, raw content and the parsed body (``None`` if undocumented)."""

    status_code: int
    content: bytes = attrs.field(repr=False)
    headers: httpx.Headers
    parsed: T | None
    operation: Operation
    url: str = attrs.field(repr=False, default="")

    @property
    def is_success(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status_code <= 299


def path_segment(value: object) -> str:
    """A path parameter as one escaped segment: ``/``, ``+``, spaces, ``?`` and ``#`` are escaped,
    and ``.``/``..`` are too, or URL normalisation would climb out of the segment."""
    text = quote(str(value), safe="")
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
    """The body as JSON if it is JSON, else as text (for error messages), never raising."""
    if not content:
        return None
    try:
        return loads(content)
    except ValueError:
        return content.decode("utf-8", errors="replace")


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


async def send(
    client: JumpsellerClient,
    operation: Operation,
    request_kwargs: dict[str, Any],
    parse: Callable[[httpx.Response], T | None],
) -> Response[T]:
    _check_page_size(operation, request_kwargs)
    response = await client._send_operation(operation, request_kwargs)
    success = 200 <= response.status_code <= 299
    parsed: T | None = None
    try:
        # 204 and other empty 2xx answers carry nothing to parse: the parsed body is None.
        if response.content or not success:
            parsed = parse(cast(httpx.Response, _Answer(response)))
    except _PARSE_FAILURES as exc:
        if success:
            snippet = response.content[:80].decode("utf-8", errors="replace")
            raise ResponseParseError(
                f"{operation.tool}: HTTP {response.status_code} answer is not the JSON this "
                f"operation returns ({type(exc).__name__}: {exc}); body starts {snippet!r}",
                operation=operation.tool,
                status_code=response.status_code,
                content=response.content,
            ) from exc
        # An error page that is not JSON: the status says what happened, the body stays raw.
    return Response(
        status_code=response.status_code,
        content=response.content,
        headers=response.headers,
        parsed=parsed,
        operation=operation,
        url=redact_url(response.request.url),
    )


def error_for(response: Response[Any]) -> APIError:
    """The typed error for a non-2xx answer."""
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
        message += f": {detail}"
    if error_class is RateLimitError:
        return RateLimitError(
            message,
            banned_until=parse_ban_reset(response.headers),
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
