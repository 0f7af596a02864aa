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
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    RateLimitWaitError,
    ResponseParseError,
    ServerError,
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
    "NotFoundError",
    "OAuth2",
    "OAuth2Token",
    "PaginationError",
    "PartnerAuth",
    "PermissionDeniedError",
    "QueryAuth",
    "RateLimitError",
    "RateLimitWaitError",
    "RateLimiter",
    "Response",
    "ResponseParseError",
    "ServerError",
    "Unset",
    "__version__",
]
