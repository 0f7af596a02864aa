"""Every error this library raises.

::

    JumpsellerError
    ├── APIError                    the store answered with a non-2xx status
    │   ├── BadRequestError         400 / 422
    │   ├── AuthenticationError     401
    │   │   └── OAuthError          the OAuth token endpoint refused a code or refresh token
    │   ├── PermissionDeniedError   403 that is not a rate limit
    │   ├── NotFoundError           404
    │   ├── RateLimitError          429 / 403 "Rate Limit Exceeded" / a ban, retries exhausted
    │   │   └── RateLimitWaitError  no slot within ``max_wait``: nothing was sent
    │   └── ServerError             5xx
    ├── ResponseParseError          a 2xx body that is not the JSON the operation expects
    ├── PaginationError             the server's pages do not advance (a page repeats the last one)
    ├── APIConnectionError          the request never got an answer
    │   └── APITimeoutError         ... because it timed out
    ├── WebhookError                a webhook delivery that cannot be trusted or read
    │   ├── WebhookSignatureError   missing or wrong Jumpseller-Hmac-Sha256 signature
    │   └── WebhookPayloadError     a correctly signed body that is not a JSON object
    ├── UnknownStoreError           a store code the StoreRegistry does not know (404-style)
    ├── TokenStoreError             a token/state store failed (Redis down, no token, lock busy)
    └── ConfigurationError          the client was set up with something unusable

Tokens never appear in any of these: URLs are redacted before they are stored, every
registered secret is hidden from bodies the server echoes back, and neither the hooks token nor an
OAuth client secret is ever part of a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ._headers import RATE_LIMIT_HEADERS

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "JumpsellerError",
    "NotFoundError",
    "OAuthError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitWaitError",
    "ResponseParseError",
    "ServerError",
    "TokenStoreError",
    "UnknownStoreError",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookSignatureError",
]


class JumpsellerError(Exception):
    """Root of every error raised by jumpseller_async."""


class APIError(JumpsellerError):
    """The store answered with a non-2xx status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.method = method
        self.url = url
        self.body = body
        self.operation = operation
        source = headers or {}
        self.rate_limit_headers: dict[str, str] = {
            name: source[name] for name in RATE_LIMIT_HEADERS if name in source
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code}, method={self.method!r}, url={self.url!r})"


class BadRequestError(APIError):
    """400 or 422: the store rejected the request's parameters or body."""


class AuthenticationError(APIError):
    """401: the credentials are missing, wrong or expired."""


class OAuthError(AuthenticationError):
    """The OAuth token endpoint refused a code or refresh token; ``error`` is its reason."""

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        error_description: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.error = error
        self.error_description = error_description


class PermissionDeniedError(APIError):
    """403 that is not a rate limit: the credentials lack a permission or scope."""


class NotFoundError(APIError):
    """404: no such resource."""


class RateLimitError(APIError):
    """The store's rate limit held after every retry, or it asked for a wait past our caps."""

    def __init__(
        self,
        message: str,
        *,
        banned_until: dt.datetime | None = None,
        retry_after: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.banned_until = banned_until
        self.retry_after = retry_after


class RateLimitWaitError(RateLimitError):
    """A rate-limit slot would not free within ``max_wait`` seconds; nothing was sent."""


class ServerError(APIError):
    """5xx: the store failed to answer."""


class ResponseParseError(JumpsellerError):
    """A successful answer whose body is not the JSON the operation expects."""

    def __init__(
        self, message: str, *, operation: str, status_code: int, content: bytes = b""
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.status_code = status_code
        self.content = content


class PaginationError(JumpsellerError):
    """Paging stopped: a page repeated the previous one, or an item had no id to page after."""

    def __init__(self, message: str, *, operation: str, page: int | None = None) -> None:
        super().__init__(message)
        self.operation = operation
        self.page = page


class APIConnectionError(JumpsellerError):
    """The request got no answer (DNS, refused or dropped connection)."""

    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class APITimeoutError(APIConnectionError):
    """The request got no answer within the timeout."""


class WebhookError(JumpsellerError):
    """A webhook delivery that cannot be trusted or read."""


class WebhookSignatureError(WebhookError):
    """The ``Jumpseller-Hmac-Sha256`` signature is missing or does not match the raw body."""


class WebhookPayloadError(WebhookError):
    """A correctly signed webhook body that is not a JSON object of a resource."""


class UnknownStoreError(JumpsellerError):
    """A store code the :class:`~jumpseller_async.StoreRegistry` does not know (HTTP 404 style)."""

    status_code = 404

    def __init__(self, message: str, *, store_code: str) -> None:
        super().__init__(message)
        self.store_code = store_code


class TokenStoreError(JumpsellerError):
    """A token or state store failed: Redis down, no token stored for a store, lock not taken."""

    def __init__(self, message: str, *, store_code: str | None = None) -> None:
        super().__init__(message)
        self.store_code = store_code


class ConfigurationError(JumpsellerError, ValueError):
    """The client was given an unusable setting (bad credentials shape, bad limits...)."""


_STATUS_CLASSES: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: BadRequestError,
    429: RateLimitError,
}


def error_class_for_status(status_code: int) -> type[APIError]:
    """The most specific APIError subclass for an HTTP status."""
    if status_code in _STATUS_CLASSES:
        return _STATUS_CLASSES[status_code]
    if status_code >= 500:
        return ServerError
    return APIError
