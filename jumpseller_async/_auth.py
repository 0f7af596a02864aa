"""Credentials for the Jumpseller API.

Every credential is an :class:`httpx.Auth`, so it runs inside httpx's request pipeline:

* :class:`BasicAuth` -- HTTP Basic ``login:authtoken``, what Jumpseller recommends.
* :class:`QueryAuth` -- ``?login=...&authtoken=...``, the deprecated way. The token ends up in
  every URL httpx logs, which is why :mod:`._redact` filters httpx's loggers.
* :class:`PartnerAuth` -- ``?partner_code=...&auth_token=...`` for the partner endpoints.
* :class:`OAuth2` -- a Jumpseller App's bearer token, refreshed through the token endpoint.

Secrets are registered (:func:`._redact.register_secret`) the moment an auth object sees them, so
they are hidden from any message, log line or echoed body, even where no URL or header pattern
would catch them.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx

from ._json import loads
from ._redact import REDACTED, redact_secrets, redact_text, redact_url, register_secret
from .errors import AuthenticationError, ConfigurationError

__all__ = [
    "DEFAULT_TOKEN_URL",
    "BasicAuth",
    "OAuth2",
    "OAuth2Token",
    "PartnerAuth",
    "QueryAuth",
    "resolve_auth",
]

DEFAULT_TOKEN_URL = "https://accounts.jumpseller.com/oauth/token"


# --------------------------------------------------------------------------- static credentials


def _require_text(value: object, name: str) -> str:
    # Messages name the parameter, never its value: the value may be a token.
    if value is None:
        raise ConfigurationError(f"{name} is required")
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string, not {type(value).__name__}")
    if not value:
        raise ConfigurationError(f"{name} must not be empty")
    if value != value.strip():
        raise ConfigurationError(f"{name} has leading or trailing whitespace")
    return value


class BasicAuth(httpx.Auth):
    """HTTP Basic ``login:authtoken``, the scheme Jumpseller recommends."""

    def __init__(self, login: str, authtoken: str) -> None:
        self.login = _require_text(login, "login")
        self._authtoken = _require_text(authtoken, "authtoken")
        if ":" in self.login:
            raise ConfigurationError("login must not contain ':' (HTTP Basic cannot carry it)")
        credentials = base64.b64encode(f"{self.login}:{self._authtoken}".encode()).decode("ascii")
        self._header = f"Basic {credentials}"
        register_secret(self._authtoken)
        register_secret(credentials)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the credentials to ``request`` (httpx calls this)."""
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return f"BasicAuth(login={self.login!r}, authtoken={REDACTED!r})"


class QueryAuth(httpx.Auth):
    """``?login=...&authtoken=...`` -- deprecated by Jumpseller because the token leaks into logs."""

    def __init__(self, login: str, authtoken: str) -> None:
        self.login = _require_text(login, "login")
        self._authtoken = _require_text(authtoken, "authtoken")
        register_secret(self._authtoken)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the credentials to ``request`` (httpx calls this)."""
        # Set, not add: a request retried through the flow must not grow duplicate parameters.
        request.url = request.url.copy_set_param("login", self.login).copy_set_param(
            "authtoken", self._authtoken
        )
        yield request

    def __repr__(self) -> str:
        return f"QueryAuth(login={self.login!r}, authtoken={REDACTED!r})"


class PartnerAuth(httpx.Auth):
    """``?partner_code=...&auth_token=...`` for Jumpseller's partner endpoints."""

    def __init__(self, partner_code: str, auth_token: str) -> None:
        self.partner_code = _require_text(partner_code, "partner_code")
        self._auth_token = _require_text(auth_token, "auth_token")
        register_secret(self._auth_token)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the credentials to ``request`` (httpx calls this)."""
        request.url = request.url.copy_set_param("partner_code", self.partner_code).copy_set_param(
            "auth_token", self._auth_token
        )
        yield request

    def __repr__(self) -> str:
        return f"PartnerAuth(partner_code={self.partner_code!r}, auth_token={REDACTED!r})"


# --------------------------------------------------------------------------- OAuth2


@dataclass(frozen=True, repr=False)
class OAuth2Token:
    """The token state an app must persist after each refresh (Jumpseller rotates refresh tokens)."""

    access_token: str
    refresh_token: str | None
    expires_at: float | None

    def __repr__(self) -> str:
        refresh = None if self.refresh_token is None else REDACTED
        return (
            f"OAuth2Token(access_token={REDACTED!r}, refresh_token={refresh!r}, "
            f"expires_at={self.expires_at!r})"
        )


TokenCallback = Callable[[OAuth2Token], Awaitable[None] | None]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


class OAuth2(httpx.Auth):
    """Bearer token of a Jumpseller App, refreshed before expiry or after a 401.

    At most one refresh per request and one retry after a 401, so a revoked app answers its 401
    instead of looping. Concurrent requests share a single refresh. The refresh request is yielded
    from the auth flow, so it travels through the client's own transport (and its mocks).
    Only :class:`httpx.AsyncClient` is supported: the shared refresh relies on an asyncio lock.
    """

    requires_request_body = True  # the request may be sent twice (retry after a 401)
    requires_response_body = True

    def __init__(
        self,
        access_token: str,
        *,
        refresh_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        expires_at: float | None = None,
        token_url: str = DEFAULT_TOKEN_URL,
        on_token: TokenCallback | None = None,
        refresh_margin: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        for name, value in (
            ("refresh_token", refresh_token),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ):
            if value is not None:
                _require_text(value, name)
        self._can_refresh = bool(refresh_token and client_id and client_secret)
        if access_token == "" and self._can_refresh:
            # Allowed: the first request fetches a token from the refresh token.
            self._access_token = ""
        else:
            self._access_token = _require_text(access_token, "access_token")
        if expires_at is not None and _number(expires_at) is None:
            raise ConfigurationError("expires_at must be epoch seconds (a number) or None")
        if _number(refresh_margin) is None or refresh_margin < 0:
            raise ConfigurationError("refresh_margin must be a non-negative number of seconds")
        self._refresh_token = refresh_token
        self.client_id = client_id
        self._client_secret = client_secret
        self._expires_at = None if expires_at is None else float(expires_at)
        self.token_url = token_url
        self._on_token = on_token
        self._refresh_margin = float(refresh_margin)
        self._clock = clock
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        for secret in (access_token, refresh_token, client_secret):
            register_secret(secret)

    @classmethod
    def from_token(cls, token: OAuth2Token, **kwargs: Any) -> OAuth2:
        """Rebuild from the token an earlier ``on_token`` callback stored."""
        return cls(
            token.access_token,
            refresh_token=token.refresh_token,
            expires_at=token.expires_at,
            **kwargs,
        )

    @property
    def token(self) -> OAuth2Token:
        """The current token state."""
        return OAuth2Token(self._access_token, self._refresh_token, self._expires_at)

    @property
    def expires_at(self) -> float | None:
        """When the access token expires (``time.time()`` seconds), if known."""
        return self._expires_at

    @property
    def can_refresh(self) -> bool:
        """Whether the token can be renewed (a refresh token, client id and client secret)."""
        return self._can_refresh

    def __repr__(self) -> str:
        return f"OAuth2(expires_at={self._expires_at!r})"

    def _get_lock(self) -> asyncio.Lock:
        # One lock per event loop: an asyncio.Lock used from a second loop raises.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock = asyncio.Lock()
            self._lock_loop = loop
        return self._lock

    def _needs_refresh(self) -> bool:
        if not self._access_token:
            return True
        if self._expires_at is None:
            return False
        return self._clock() >= self._expires_at - self._refresh_margin

    def _build_refresh_request(self) -> httpx.Request:
        assert self._refresh_token and self.client_id and self._client_secret
        return httpx.Request(
            "POST",
            self.token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": self._refresh_token,
                "client_id": self.client_id,
                "client_secret": self._client_secret,
            },
            headers={"Accept": "application/json"},
        )

    def _refresh_error(self, response: httpx.Response, problem: str) -> AuthenticationError:
        secrets = [self._access_token, self._refresh_token or "", self._client_secret or ""]
        detail: dict[str, str] = {}
        try:
            payload = loads(response.content)
        except ValueError:
            # The decoder reports JSON nested deeper than its stack as a ValueError too.
            payload = None
        if isinstance(payload, dict):
            for key in ("error", "error_description"):
                value = payload.get(key)
                if isinstance(value, str):
                    detail[key] = redact_secrets(redact_text(value[:300], secrets))
        url = redact_url(self.token_url)
        message = f"OAuth2 token refresh failed: {problem} (HTTP {response.status_code} from {url})"
        if "error" in detail:
            message += f": {detail['error']}"
        return AuthenticationError(
            message,
            status_code=response.status_code,
            method="POST",
            url=url,
            body=detail or None,
        )

    async def _apply_refresh(self, response: httpx.Response) -> None:
        await response.aread()
        if not response.is_success:
            raise self._refresh_error(response, "the token endpoint refused the refresh token")
        try:
            payload = loads(response.content)
        except ValueError:
            # The decoder reports JSON nested deeper than its stack as a ValueError too.
            raise self._refresh_error(response, "the answer is not JSON") from None
        access_token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(access_token, str) or not access_token:
            raise self._refresh_error(response, "the answer has no access_token")
        refresh_token = payload.get("refresh_token")
        expires_in = _number(payload.get("expires_in"))
        created_at = _number(payload.get("created_at"))
        if expires_in is None:
            expires_at = None
        else:
            expires_at = (created_at if created_at is not None else self._clock()) + expires_in

        register_secret(access_token)
        self._access_token = access_token
        if isinstance(refresh_token, str) and refresh_token:
            # Jumpseller rotates refresh tokens: the old one may stop working after this.
            register_secret(refresh_token)
            self._refresh_token = refresh_token
        self._expires_at = expires_at
        if self._on_token is not None:
            # A failing callback propagates: silently losing a rotated refresh token is worse.
            result = self._on_token(self.token)
            if inspect.isawaitable(result):
                await result

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Send with the bearer token; refresh first when it expires, or once after a 401."""
        # Overriding async_auth_flow (not auth_flow) skips httpx's body reading, so do it here.
        await request.aread()
        refreshed = False
        if self._can_refresh and self._needs_refresh():
            async with self._get_lock():
                # Another request may have refreshed while this one waited for the lock.
                if self._needs_refresh():
                    refresh_response = yield self._build_refresh_request()
                    await self._apply_refresh(refresh_response)
                    refreshed = True

        sent_token = self._access_token
        request.headers["Authorization"] = f"Bearer {sent_token}"
        response = yield request
        if response.status_code != 401 or not self._can_refresh or refreshed:
            return

        async with self._get_lock():
            if self._access_token == sent_token:
                refresh_response = yield self._build_refresh_request()
                await self._apply_refresh(refresh_response)
        request.headers["Authorization"] = f"Bearer {self._access_token}"
        yield request

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Refused: the client is async only (httpx calls this for sync clients)."""
        raise ConfigurationError("OAuth2 works only with httpx.AsyncClient")


# --------------------------------------------------------------------------- factory


def resolve_auth(auth: str | httpx.Auth, login: str | None, authtoken: str | None) -> httpx.Auth:
    """The httpx.Auth for a client's ``auth``/``login``/``authtoken`` arguments.

    ``auth`` is ``"basic"``, ``"query"`` or a ready auth object. Nothing is read from the
    environment: callers that want environment variables read them themselves.
    """
    if isinstance(auth, httpx.Auth):
        if login is not None or authtoken is not None:
            raise ConfigurationError(
                "login/authtoken are only used with auth='basic' or auth='query'; "
                "pass them to the auth object instead"
            )
        return auth
    if not isinstance(auth, str):
        raise ConfigurationError(
            f"auth must be 'basic', 'query' or an httpx.Auth instance, not {type(auth).__name__}"
        )
    if auth not in ("basic", "query"):
        # The unknown string is not echoed: it may be a token passed in the wrong place.
        raise ConfigurationError(
            "auth must be 'basic', 'query' or an httpx.Auth instance (got an unrecognised string)"
        )
    missing = [name for name, value in (("login", login), ("authtoken", authtoken)) if not value]
    if missing:
        raise ConfigurationError(
            f"auth={auth!r} needs {' and '.join(missing)} (a non-empty string; both are in the "
            "Jumpseller Admin Panel, Account section)"
        )
    assert login is not None and authtoken is not None
    if auth == "basic":
        return BasicAuth(login, authtoken)
    return QueryAuth(login, authtoken)
