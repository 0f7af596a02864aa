"""Typed asyncio client for the Jumpseller API.

async with JumpsellerClient(login, authtoken) as client:
    product = await client.products.get_products_id_json(id=5)
    async for order in client.paginate(get_orders_json):
        ...
"""

import typing as _typing

from ._auth import BasicAuth, OAuth2, OAuth2Token, PartnerAuth, QueryAuth
from ._client import JumpsellerClient
from ._types import UNSET, Unset
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    JumpsellerError,
    NotFoundError,
    OAuthError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    RateLimitWaitError,
    ResponseParseError,
    ServerError,
    TokenStoreError,
    UnknownStoreError,
    WebhookError,
    WebhookPayloadError,
    WebhookSignatureError,
)

if _typing.TYPE_CHECKING:
    from ._export import Exporter, ExportResult
    from ._operation import Response
    from ._pagination import AfterIdIterator, Paginator
    from ._ratelimit import RateLimiter
    from ._stores import StoreRegistry
    from ._tokenstore import MemoryTokenStore, RedisTokenStore, TokenStore

# Loaded on first use (PEP 562): importing the package (which every submodule does first) loads
# neither asyncio nor attrs nor the sending machinery. The first JumpsellerClient loads the
# sending machinery and asyncio; an operation loads its models, and they attrs.
_LAZY = {
    "AfterIdIterator": "._pagination",
    "ExportResult": "._export",
    "Exporter": "._export",
    "MemoryTokenStore": "._tokenstore",
    "Paginator": "._pagination",
    "RateLimiter": "._ratelimit",
    "RedisTokenStore": "._tokenstore",
    "Response": "._operation",
    "StoreRegistry": "._stores",
    "TokenStore": "._tokenstore",
}


if not _typing.TYPE_CHECKING:
    # Hidden from type checkers, which see the imports above instead: a module __getattr__
    # would make every misspelt name type-check as Any.
    def __getattr__(name: str) -> _typing.Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "UNSET",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AfterIdIterator",
    "AuthenticationError",
    "BadRequestError",
    "BasicAuth",
    "ConfigurationError",
    "ExportResult",
    "Exporter",
    "JumpsellerClient",
    "JumpsellerError",
    "MemoryTokenStore",
    "NotFoundError",
    "OAuth2",
    "OAuth2Token",
    "OAuthError",
    "PaginationError",
    "Paginator",
    "PartnerAuth",
    "PermissionDeniedError",
    "QueryAuth",
    "RateLimitError",
    "RateLimitWaitError",
    "RateLimiter",
    "RedisTokenStore",
    "Response",
    "ResponseParseError",
    "ServerError",
    "StoreRegistry",
    "TokenStore",
    "TokenStoreError",
    "UnknownStoreError",
    "Unset",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "__version__",
]
