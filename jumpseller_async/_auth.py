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

import base64
import contextlib
import inspect
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from ._redact import REDACTED, redact_secrets, redact_text, redact_url, register_secret
from .errors import ConfigurationError, OAuthError, TokenStoreError

if TYPE_CHECKING:
    import asyncio

    from ._tokenstore import TokenStore

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
    """The token state an app must persist after each refresh (Jumpseller rotates refresh tokens).

    ``expires_at`` is epoch seconds: the answer's ``created_at + expires_in``.
    """

    access_token: str
    refresh_token: str | None
    expires_at: float | None
    created_at: float | None = None
    scope: str | None = None

    def __repr__(self) -> str:
        refresh = None if self.refresh_token is None else REDACTED
        return (
            f"OAuth2Token(access_token={REDACTED!r}, refresh_token={refresh!r}, "
            f"expires_at={self.expires_at!r}, scope={self.scope!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field, secrets included: for a token store, never for a log."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "created_at": self.created_at,
            "scope": self.scope,
        }

    @classmethod
    def from_dict(cls, data: Any) -> OAuth2Token:
        """The inverse of :meth:`to_dict`; ConfigurationError (naming the field) when unusable."""
        if not isinstance(data, dict):
            raise ConfigurationError(f"a stored token must be an object, not {type(data).__name__}")
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise ConfigurationError("a stored token has no access_token")
        refresh = data.get("refresh_token")
        if refresh is not None and (not isinstance(refresh, str) or not refresh):
            raise ConfigurationError("a stored token's refresh_token must be a non-empty string")
        numbers: dict[str, float | None] = {}
        for name in ("expires_at", "created_at"):
            value = data.get(name)
            number = _number(value)
            if value is not None and number is None:
                raise ConfigurationError(f"a stored token's {name} must be epoch seconds")
            numbers[name] = number
        scope = data.get("scope")
        return cls(
            access,
            refresh,
            numbers["expires_at"],
            created_at=numbers["created_at"],
            scope=scope if isinstance(scope, str) else None,
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


def token_from_answer(
    payload: Any, *, now: float, previous_refresh_token: str | None = None
) -> OAuth2Token | str:
    """The token in a token endpoint's JSON answer, or a description of what is wrong with it.

    ``expires_at = created_at + expires_in`` (``now`` stands in for a missing ``created_at``).
    A refresh answer without a refresh token keeps ``previous_refresh_token``.
    """
    if not isinstance(payload, dict):
        return "the answer is not a JSON object"
    access_token = payload.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        return "the answer has no access_token"
    refresh_token = payload.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        refresh_token = previous_refresh_token
    expires_in = _number(payload.get("expires_in"))
    created_at = _number(payload.get("created_at"))
    expires_at = (
        None if expires_in is None else (created_at if created_at is not None else now) + expires_in
    )
    scope = payload.get("scope")
    register_secret(access_token)
    register_secret(refresh_token)
    return OAuth2Token(
        access_token,
        refresh_token,
        expires_at,
        created_at=created_at,
        scope=scope if isinstance(scope, str) else None,
    )


_ERROR_CODE = r"^[a-z][a-z_]{0,63}$"  # compiled (and cached by re) on the first error


def oauth_error(
    response: httpx.Response,
    problem: str,
    *,
    url: str,
    secrets: Iterable[str],
    method: str = "POST",
) -> OAuthError:
    """An OAuthError carrying the server's ``error``/``error_description``, secrets redacted."""
    from ._json import loads  # OAuth errors are rare: orjson loads on the first

    detail: dict[str, str] = {}
    try:
        payload = loads(response.content)
    except (ValueError, RecursionError):
        # RecursionError: JSON nested deeper than the decoder's stack.
        payload = None
    secrets = [s for s in secrets if s]
    if isinstance(payload, dict):
        code = payload.get("error")
        if isinstance(code, str):
            # An RFC 6749 error code is kept verbatim: redacting a registered short secret
            # inside "invalid_grant" would garble the one word callers branch on.
            if re.match(_ERROR_CODE, code) and code not in secrets:
                detail["error"] = code
            else:
                detail["error"] = redact_secrets(redact_text(code[:100], secrets))
        description = payload.get("error_description")
        if isinstance(description, str):
            detail["error_description"] = redact_secrets(redact_text(description[:300], secrets))
    shown = redact_url(url)
    message = f"{problem} (HTTP {response.status_code} from {shown})"
    if "error" in detail:
        message += f": {detail['error']}"
        if "error_description" in detail:
            message += f" ({detail['error_description']})"
    return OAuthError(
        message,
        error=detail.get("error"),
        error_description=detail.get("error_description"),
        status_code=response.status_code,
        method=method,
        url=shown,
        body=detail or None,
    )


class OAuth2(httpx.Auth):
    """Bearer token of a Jumpseller App, refreshed before expiry or after a 401.

    At most one refresh per request and one retry after a 401, so a revoked app answers its 401
    instead of looping. Concurrent requests share a single refresh. The refresh request is yielded
    from the auth flow, so it travels through the client's own transport (and its mocks).
    Only :class:`httpx.AsyncClient` is supported: the shared refresh relies on an asyncio lock.

    With a ``token_store`` (see :meth:`from_store`) the token is read from the store and every
    refreshed token is written back before it is used. A refresh takes the store's lock for
    ``store_key`` and re-reads the token first, so processes sharing a Redis store refresh once
    and all pick up the rotated refresh token instead of spending a stale one.
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
        token_store: TokenStore | None = None,
        store_key: str | None = None,
    ) -> None:
        for name, value in (
            ("refresh_token", refresh_token),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ):
            if value is not None:
                _require_text(value, name)
        if token_store is not None:
            self.store_key: str | None = _require_text(store_key, "store_key")
        elif store_key is not None:
            raise ConfigurationError("store_key is only used with a token_store")
        else:
            self.store_key = None
        self._store = token_store
        if token_store is not None:
            # The refresh token comes from the store.
            self._can_refresh = bool(client_id and client_secret)
        else:
            self._can_refresh = bool(refresh_token and client_id and client_secret)
        if access_token == "" and (self._can_refresh or token_store is not None):
            # Allowed: the first request reads the store or fetches a token from the refresh token.
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
        self._created_at: float | None = None
        self._scope: str | None = None
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

    @classmethod
    def from_store(
        cls,
        token_store: TokenStore,
        store_key: str,
        *,
        client_id: str,
        client_secret: str,
        **kwargs: Any,
    ) -> OAuth2:
        """Credentials that read ``store_key``'s token from ``token_store`` and save refreshes there."""
        return cls(
            "",
            client_id=client_id,
            client_secret=client_secret,
            token_store=token_store,
            store_key=store_key,
            **kwargs,
        )

    @property
    def token(self) -> OAuth2Token:
        """The current token state."""
        return OAuth2Token(
            self._access_token,
            self._refresh_token,
            self._expires_at,
            created_at=self._created_at,
            scope=self._scope,
        )

    @property
    def expires_at(self) -> float | None:
        """When the access token expires (``time.time()`` seconds), if known."""
        return self._expires_at

    @property
    def can_refresh(self) -> bool:
        """Whether the token can be renewed (a refresh token, client id and client secret)."""
        return self._can_refresh

    def __repr__(self) -> str:
        if self.store_key is not None:
            return f"OAuth2(store_key={self.store_key!r}, expires_at={self._expires_at!r})"
        return f"OAuth2(expires_at={self._expires_at!r})"

    def _get_lock(self) -> asyncio.Lock:
        # Imported here: the package loads without asyncio (an event loop runs by now anyway).
        import asyncio

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

    def _adopt(self, token: OAuth2Token) -> None:
        register_secret(token.access_token)
        register_secret(token.refresh_token)
        self._access_token = token.access_token
        self._refresh_token = token.refresh_token
        self._expires_at = token.expires_at
        self._created_at = token.created_at
        self._scope = token.scope

    async def _load(self) -> None:
        """Take the store's token (another process may have refreshed it)."""
        assert self._store is not None and self.store_key is not None
        stored = await self._store.get(self.store_key)
        if stored is None:
            raise TokenStoreError(
                f"no OAuth token stored for {self.store_key!r}: install the app on that store "
                "first (the install callback saves its token)",
                store_code=self.store_key,
            )
        self._adopt(stored)

    @contextlib.asynccontextmanager
    async def _refresh_guard(self) -> AsyncIterator[None]:
        # The in-process lock first: tasks of this process queue on it instead of on Redis.
        async with self._get_lock():
            if self._store is None:
                yield
                return
            assert self.store_key is not None
            async with self._store.lock(self.store_key):
                await self._load()
                yield

    def _build_refresh_request(self) -> httpx.Request:
        if not (self._refresh_token and self.client_id and self._client_secret):
            raise TokenStoreError(
                "the stored OAuth token has no refresh token: reinstall the app",
                store_code=self.store_key,
            )
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

    def _refresh_error(self, response: httpx.Response, problem: str) -> OAuthError:
        secrets = [self._access_token, self._refresh_token or "", self._client_secret or ""]
        return oauth_error(
            response, f"OAuth2 token refresh failed: {problem}", url=self.token_url, secrets=secrets
        )

    async def _apply_refresh(self, response: httpx.Response) -> None:
        from ._json import loads

        await response.aread()
        if not response.is_success:
            raise self._refresh_error(response, "the token endpoint refused the refresh token")
        try:
            payload = loads(response.content)
        except ValueError:
            # The decoder reports JSON nested deeper than its stack as a ValueError too.
            raise self._refresh_error(response, "the answer is not JSON") from None
        # Jumpseller rotates refresh tokens: the old one may stop working after this.
        token = token_from_answer(
            payload, now=self._clock(), previous_refresh_token=self._refresh_token
        )
        if isinstance(token, str):
            raise self._refresh_error(response, token)
        self._adopt(token)
        if self._store is not None:
            assert self.store_key is not None
            # Saved before use, under the store's lock: a rotated refresh token that only this
            # process knew would be lost with it.
            await self._store.set(self.store_key, token)
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
        if self._store is not None and not self._access_token:
            async with self._get_lock():
                if not self._access_token:
                    await self._load()
        if self._can_refresh and self._needs_refresh():
            async with self._refresh_guard():
                # Another request (or process) may have refreshed while this one waited.
                if self._needs_refresh():
                    refresh_response = yield self._build_refresh_request()
                    await self._apply_refresh(refresh_response)
                    refreshed = True

        sent_token = self._access_token
        request.headers["Authorization"] = f"Bearer {sent_token}"
        response = yield request
        if response.status_code != 401 or not self._can_refresh or refreshed:
            return

        async with self._refresh_guard():
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
