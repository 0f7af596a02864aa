"""Jumpseller Apps: the OAuth2 Authorization Code flow and where to keep the tokens.

::

    from jumpseller_async.oauth import authorization_url, exchange_code

    url, state = authorization_url(CLIENT_ID, REDIRECT_URI, ["read_orders", "read_products"])
    # ... send the merchant to `url`; keep `state`; Jumpseller redirects back with ?code&state
    token = await exchange_code(code, client_id=CLIENT_ID, client_secret=SECRET,
                                redirect_uri=REDIRECT_URI)
    await token_store.set(store_code, token)
    client = JumpsellerClient(auth=OAuth2.from_store(token_store, store_code,
                                                     client_id=CLIENT_ID, client_secret=SECRET))

The token endpoint answers ``access_token``, ``refresh_token``, ``expires_in`` (3600) and
``created_at`` (epoch); ``expires_at = created_at + expires_in``. Every refresh rotates the
refresh token, which is why refreshes go through a :class:`TokenStore` and its lock.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from ._auth import DEFAULT_TOKEN_URL, OAuth2, OAuth2Token, oauth_error, token_from_answer
from ._json import loads
from ._redact import redact_url, register_secret
from ._tokenstore import MemoryTokenStore, RedisTokenStore, TokenStore
from ._version import __version__
from .errors import APIConnectionError, APITimeoutError, ConfigurationError

__all__ = [
    "DEFAULT_AUTHORIZE_URL",
    "DEFAULT_TOKEN_INFO_URL",
    "DEFAULT_TOKEN_URL",
    "MemoryTokenStore",
    "OAuth2",
    "OAuth2Token",
    "RedisTokenStore",
    "TokenInfo",
    "TokenStore",
    "authorization_url",
    "exchange_code",
    "refresh_token",
    "token_info",
]

DEFAULT_AUTHORIZE_URL = "https://accounts.jumpseller.com/oauth/authorize"
DEFAULT_TOKEN_INFO_URL = "https://accounts.jumpseller.com/oauth/token/info"
DEFAULT_TIMEOUT = 30.0

# ``read_orders``, ``write_products``, ``read_store``, ``read_apps``...
_SCOPE_RE = re.compile(r"^(?:read|write)_[a-z_]+$")


def _text(value: object, name: str) -> str:
    # Names the parameter, never the value: it may be a secret.
    if not isinstance(value, str) or not value or value != value.strip():
        raise ConfigurationError(f"{name} must be a non-empty string without surrounding spaces")
    return value


def _scopes(scopes: str | Iterable[str]) -> str:
    names = scopes.split() if isinstance(scopes, str) else list(scopes)
    if not names:
        raise ConfigurationError("scopes must name at least one scope, e.g. ['read_orders']")
    for name in names:
        if not isinstance(name, str) or not _SCOPE_RE.match(name):
            raise ConfigurationError(
                f"unknown scope {name!r}: Jumpseller scopes are read_<resource> or write_<resource>"
            )
    return " ".join(dict.fromkeys(names))


def authorization_url(
    client_id: str,
    redirect_uri: str,
    scopes: str | Iterable[str],
    *,
    state: str | None = None,
    authorize_url: str = DEFAULT_AUTHORIZE_URL,
) -> tuple[str, str]:
    """The URL that asks a merchant to install the app, and the ``state`` to check on return.

    Without ``state`` a random one of 256 bits is made. Keep it (server side or in a cookie) and
    refuse a callback whose ``state`` differs: that is the CSRF protection of the flow.
    """
    _text(client_id, "client_id")
    _text(redirect_uri, "redirect_uri")
    if not redirect_uri.startswith(("https://", "http://")):
        raise ConfigurationError("redirect_uri must be an http(s) URL")
    if state is None:
        state = secrets.token_urlsafe(32)
    else:
        _text(state, "state")
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": _scopes(scopes),
            "state": state,
        }
    )
    separator = "&" if "?" in authorize_url else "?"
    return f"{authorize_url}{separator}{query}", state


@dataclass(frozen=True)
class TokenInfo:
    """What ``GET /oauth/token/info`` says about an access token."""

    scopes: tuple[str, ...]
    expires_in: float | None
    created_at: float | None
    application_uid: str | None
    raw: dict[str, Any] = field(repr=False)


async def _post_form(
    url: str,
    data: dict[str, str],
    *,
    http: httpx.AsyncClient | None,
    transport: httpx.AsyncBaseTransport | None,
    timeout: float,
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent_headers = {"Accept": "application/json", "User-Agent": f"jumpseller-async/{__version__}"}
    sent_headers.update(headers or {})
    shown = redact_url(url)
    try:
        if http is not None:
            return await http.request(
                method, url, data=data or None, headers=sent_headers, timeout=timeout
            )
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as owned:
            return await owned.request(method, url, data=data or None, headers=sent_headers)
    except httpx.TimeoutException:
        raise APITimeoutError(
            f"{method} {shown} got no answer within {timeout:g}s", method=method, url=shown
        ) from None
    except httpx.HTTPError as exc:
        raise APIConnectionError(
            f"{method} {shown} got no answer ({type(exc).__name__})", method=method, url=shown
        ) from None


async def _token_request(
    form: dict[str, str],
    *,
    what: str,
    token_url: str,
    secrets_: list[str],
    http: httpx.AsyncClient | None,
    transport: httpx.AsyncBaseTransport | None,
    timeout: float,
    clock: Callable[[], float],
    previous_refresh_token: str | None = None,
) -> OAuth2Token:
    response = await _post_form(token_url, form, http=http, transport=transport, timeout=timeout)
    if not response.is_success:
        raise oauth_error(
            response, f"the token endpoint refused the {what}", url=token_url, secrets=secrets_
        )
    try:
        payload = loads(response.content)
    except (ValueError, RecursionError):
        raise oauth_error(
            response,
            f"{what}: the token endpoint's answer is not JSON",
            url=token_url,
            secrets=secrets_,
        ) from None
    token = token_from_answer(payload, now=clock(), previous_refresh_token=previous_refresh_token)
    if isinstance(token, str):
        raise oauth_error(response, f"{what}: {token}", url=token_url, secrets=secrets_)
    return token


async def exchange_code(
    code: str,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    token_url: str = DEFAULT_TOKEN_URL,
    http: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    clock: Callable[[], float] = time.time,
) -> OAuth2Token:
    """Trade the ``code`` of the install callback for the store's first token.

    A form POST (``grant_type=authorization_code``) to ``token_url``. A refusal raises
    :class:`~jumpseller_async.errors.OAuthError` with the server's ``error`` (``invalid_grant``
    for a used or expired code); no message ever contains the code or the client secret.
    ``http`` reuses an httpx client, ``transport`` replaces the network (tests).
    """
    _text(code, "code")
    _text(client_id, "client_id")
    _text(client_secret, "client_secret")
    _text(redirect_uri, "redirect_uri")
    register_secret(client_secret)
    return await _token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
        },
        what="authorization code",
        token_url=token_url,
        secrets_=[code, client_secret],
        http=http,
        transport=transport,
        timeout=timeout,
        clock=clock,
    )


async def refresh_token(
    token: OAuth2Token | str,
    *,
    client_id: str,
    client_secret: str,
    token_url: str = DEFAULT_TOKEN_URL,
    http: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    clock: Callable[[], float] = time.time,
) -> OAuth2Token:
    """A new token from a refresh token (rotated: store the result, the old one may be dead).

    Apps that call the API through :class:`OAuth2` never need this: it refreshes by itself.
    """
    current = token.refresh_token if isinstance(token, OAuth2Token) else token
    if current is None:
        raise ConfigurationError("this token has no refresh token")
    _text(current, "refresh_token")
    _text(client_id, "client_id")
    _text(client_secret, "client_secret")
    register_secret(current)
    register_secret(client_secret)
    return await _token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": current,
            "client_id": client_id,
            "client_secret": client_secret,
        },
        what="refresh token",
        token_url=token_url,
        secrets_=[current, client_secret],
        http=http,
        transport=transport,
        timeout=timeout,
        clock=clock,
        previous_refresh_token=current,
    )


async def token_info(
    access_token: OAuth2Token | str,
    *,
    token_info_url: str = DEFAULT_TOKEN_INFO_URL,
    http: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> TokenInfo:
    """Scopes and lifetime of an access token (``GET /oauth/token/info`` with the bearer token).

    A token the server does not know raises :class:`~jumpseller_async.errors.OAuthError`.
    """
    value = access_token.access_token if isinstance(access_token, OAuth2Token) else access_token
    _text(value, "access_token")
    register_secret(value)
    response = await _post_form(
        token_info_url,
        {},
        http=http,
        transport=transport,
        timeout=timeout,
        method="GET",
        headers={"Authorization": f"Bearer {value}"},
    )
    if not response.is_success:
        raise oauth_error(
            response,
            "the token info endpoint refused the access token",
            url=token_info_url,
            secrets=[value],
            method="GET",
        )
    try:
        payload = loads(response.content)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise oauth_error(
            response,
            "the token info answer is not a JSON object",
            url=token_info_url,
            secrets=[value],
            method="GET",
        )
    raw_scopes = payload.get("scope", payload.get("scopes"))
    if isinstance(raw_scopes, str):
        scopes: tuple[str, ...] = tuple(raw_scopes.split())
    elif isinstance(raw_scopes, list):
        scopes = tuple(str(s) for s in raw_scopes)
    else:
        scopes = ()
    application = payload.get("application")
    uid = application.get("uid") if isinstance(application, dict) else None
    return TokenInfo(
        scopes=scopes,
        expires_in=_seconds(payload.get("expires_in", payload.get("expires_in_seconds"))),
        created_at=_seconds(payload.get("created_at")),
        application_uid=uid if isinstance(uid, str) else None,
        raw=payload,
    )


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
