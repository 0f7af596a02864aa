"""Typed asyncio client for the Jumpseller API.

async with JumpsellerClient(login, authtoken) as client:
    product = await client.products.get_products_id_json(id=5)
    async for order in client.paginate(get_orders_json):
        ...
"""

from ._auth import BasicAuth, OAuth2, OAuth2Token, PartnerAuth, QueryAuth
from ._client import JumpsellerClient
from ._export import Exporter, ExportResult
from ._operation import Response
from ._ratelimit import RateLimiter
from ._stores import StoreRegistry
from ._tokenstore import MemoryTokenStore, RedisTokenStore, TokenStore
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

__all__ = [
    "UNSET",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
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
