"""StoreRegistry: one JumpsellerClient per store for apps and backends that serve many stores."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from ._auth import DEFAULT_TOKEN_URL, OAuth2, OAuth2Token
from ._client import JumpsellerClient
from ._redact import register_secret
from ._tokenstore import TokenStore
from .errors import ConfigurationError, UnknownStoreError

__all__ = ["StoreRegistry"]

_BUDGET_OPTIONS = ("rate_limit_key", "rate_limit_storage", "limiter")
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _check_code(store_code: object) -> str:
    if not isinstance(store_code, str) or not _CODE_RE.match(store_code):
        raise ConfigurationError(
            f"store_code must be a Jumpseller store code (letters, digits, '-', '_', '.'), "
            f"got {store_code!r}"
        )
    return store_code


@dataclass
class _Entry:
    login: str | None = None
    authtoken: str | None = field(default=None, repr=False)
    auth: httpx.Auth | None = None
    hooks_token: str | None = field(default=None, repr=False)
    options: dict[str, Any] = field(default_factory=dict)
    client: JumpsellerClient | None = None


class StoreRegistry:
    """Clients for many stores, opened on first use and closed together.

    ::

        async with StoreRegistry(token_store=RedisTokenStore(url), client_id=..., client_secret=...,
                                 rate_limit_storage=url) as stores:
            stores.add("shop-a", login="shop-a", authtoken=TOKEN_A, hooks_token=HOOKS_A)
            stores.add("shop-b")                       # OAuth: its token is in the token store
            client = await stores.client("shop-a")

    Each store gets one :class:`JumpsellerClient` with ``rate_limit_key`` set to its store code,
    so every client of a store -- in this process, or in others through ``rate_limit_storage``
    (a Redis URL or client) -- spends one shared budget. Stores without Basic credentials use
    :class:`OAuth2` through ``token_store``; a store found in the token store is added on first
    use, so a store installed through another worker process is served here too.
    ``client_options`` go to every client (``base_url``, ``max_retries``, ``transport``...).

    A store it does not know raises :class:`~jumpseller_async.errors.UnknownStoreError`
    (``status_code`` 404), never KeyError.
    """

    def __init__(
        self,
        *,
        token_store: TokenStore | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_url: str = DEFAULT_TOKEN_URL,
        rate_limit_storage: Any = None,
        **client_options: Any,
    ) -> None:
        if (client_id is None) != (client_secret is None):
            raise ConfigurationError("pass both client_id and client_secret, or neither")
        register_secret(client_secret)
        self.token_store = token_store
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_url = token_url
        self.rate_limit_storage = rate_limit_storage
        self._options = client_options
        self._entries: dict[str, _Entry] = {}
        self._closed = False
        self._hooks_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"StoreRegistry(stores={sorted(self._entries)!r})"

    async def __aenter__(self) -> StoreRegistry:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- stores ----------------------------------------------------------------------------

    @property
    def oauth_enabled(self) -> bool:
        """Whether stores can be added by OAuth (a token store and a client id are configured)."""
        return self.token_store is not None and self.client_id is not None

    def add(
        self,
        store_code: str,
        *,
        login: str | None = None,
        authtoken: str | None = None,
        auth: httpx.Auth | None = None,
        hooks_token: str | None = None,
        **client_options: Any,
    ) -> None:
        """Serve ``store_code``: Basic ``login``/``authtoken``, an ``auth`` object, or OAuth.

        With neither, the store's OAuth token is read from ``token_store``. ``hooks_token``
        verifies its webhooks (without it, :meth:`hooks_token` asks ``/store/info.json``).
        Adding a store that is already there is a ConfigurationError: :meth:`remove` it first.
        """
        code = _check_code(store_code)
        if self._closed:
            raise ConfigurationError("this StoreRegistry is closed")
        if code in self._entries:
            raise ConfigurationError(f"store {code!r} is already registered; remove() it first")
        if auth is not None and (login is not None or authtoken is not None):
            raise ConfigurationError("pass login/authtoken or auth, not both")
        if (login is None) != (authtoken is None):
            raise ConfigurationError(f"store {code!r}: pass both login and authtoken")
        if login is None and auth is None and not self.oauth_enabled:
            raise ConfigurationError(
                f"store {code!r} has no credentials: pass login/authtoken, or give the registry "
                "a token_store, client_id and client_secret for OAuth"
            )
        if hooks_token is not None and (not isinstance(hooks_token, str) or not hooks_token):
            raise ConfigurationError("hooks_token must be a non-empty string")
        register_secret(hooks_token)
        self._entries[code] = _Entry(
            login=login,
            authtoken=authtoken,
            auth=auth,
            hooks_token=hooks_token,
            options=client_options,
        )

    def __contains__(self, store_code: object) -> bool:
        return store_code in self._entries

    @property
    def store_codes(self) -> list[str]:
        """The stores added so far (OAuth stores of the token store join on first use)."""
        return sorted(self._entries)

    async def _entry(self, store_code: str) -> _Entry:
        if self._closed:
            raise ConfigurationError("this StoreRegistry is closed")
        if not isinstance(store_code, str):
            raise UnknownStoreError(f"unknown store {store_code!r}", store_code=str(store_code))
        entry = self._entries.get(store_code)
        if entry is not None:
            return entry
        if (
            self.oauth_enabled
            and _CODE_RE.match(store_code)
            and await self._token_store().get(store_code) is not None
        ):
            # Installed through another process: its token is in the shared store.
            if store_code not in self._entries:
                self.add(store_code)
            return self._entries[store_code]
        known = ", ".join(sorted(self._entries)) or "none"
        raise UnknownStoreError(
            f"unknown store {store_code!r} (registered: {known}"
            f"{'; none in the token store either' if self.oauth_enabled else ''})",
            store_code=store_code,
        )

    def _token_store(self) -> TokenStore:
        assert self.token_store is not None
        return self.token_store

    async def client(self, store_code: str) -> JumpsellerClient:
        """The store's client, opened on first use (one per store and registry)."""
        entry = await self._entry(store_code)
        if entry.client is None:
            entry.client = self._open(store_code, entry)
        return entry.client

    def _open(self, store_code: str, entry: _Entry) -> JumpsellerClient:
        options = {**self._options, **entry.options}
        options.setdefault("rate_limit_key", store_code)
        if self.rate_limit_storage is not None:
            options.setdefault("rate_limit_storage", self.rate_limit_storage)
        if entry.login is not None:
            return JumpsellerClient(entry.login, entry.authtoken, **options)
        auth = entry.auth
        if auth is None:
            assert self.client_id is not None and self._client_secret is not None
            auth = OAuth2.from_store(
                self._token_store(),
                store_code,
                client_id=self.client_id,
                client_secret=self._client_secret,
                token_url=self.token_url,
            )
        return JumpsellerClient(auth=auth, **options)

    async def hooks_token(self, store_code: str) -> str:
        """The hooks token that signs the store's webhooks.

        The one given to :meth:`add`, else ``hooks_token`` from ``GET /store/info.json``
        (asked once per store and process).
        """
        entry = await self._entry(store_code)
        if entry.hooks_token is not None:
            return entry.hooks_token
        async with self._hooks_lock:
            if entry.hooks_token is None:
                info = await self.store_info(store_code)
                token = info.get("hooks_token")
                if not isinstance(token, str) or not token:
                    raise ConfigurationError(
                        f"store {store_code!r}: /store/info.json has no hooks_token; pass "
                        "hooks_token= to add()"
                    )
                register_secret(token)
                entry.hooks_token = token
        return entry.hooks_token

    @property
    def client_options(self) -> dict[str, Any]:
        """The options every client is opened with (a copy)."""
        return dict(self._options)

    async def install(self, token: OAuth2Token) -> tuple[str, dict[str, Any]]:
        """Save the token of a fresh OAuth install under the store it belongs to.

        The token does not say which store installed the app: ``GET /store/info.json`` with it
        does. The token goes to ``token_store`` under that code (every process finds it there),
        and the store joins this registry. Returns the store code and the store's info.
        """
        if not self.oauth_enabled:
            raise ConfigurationError("install() needs a token_store, client_id and client_secret")
        options = {k: v for k, v in self._options.items() if k not in _BUDGET_OPTIONS}
        async with JumpsellerClient(auth=OAuth2(token.access_token), **options) as probe:
            info = await fetch_store_info(probe)
        code = info.get("code")
        if not isinstance(code, str) or not _CODE_RE.match(code):
            raise ConfigurationError("/store/info.json named no usable store code")
        await self._token_store().set(code, token)
        hooks = info.get("hooks_token")
        hooks_token = hooks if isinstance(hooks, str) and hooks else None
        entry = self._entries.get(code)
        if entry is None:
            self.add(code, hooks_token=hooks_token)
        elif entry.hooks_token is None and hooks_token is not None:
            register_secret(hooks_token)
            entry.hooks_token = hooks_token
        # The probe spent a request of this store's budget before anyone knew whose it was:
        # charge it (an entry ending now), or a burst right after the install exceeds it.
        store_client = await self.client(code)
        async with store_client.limiter.slot():
            pass
        return code, info

    async def store_info(self, store_code: str) -> dict[str, Any]:
        """``GET /store/info.json`` of the store, unwrapped from ``{"store": {...}}``."""
        client = await self.client(store_code)
        return await fetch_store_info(client)

    async def remove(self, store_code: str, *, forget_token: bool = False) -> None:
        """Stop serving the store and close its client; ``forget_token`` also deletes its OAuth
        token from the token store (the app was uninstalled)."""
        entry = self._entries.pop(store_code, None)
        if entry is None:
            raise UnknownStoreError(f"unknown store {store_code!r}", store_code=str(store_code))
        if entry.client is not None:
            await entry.client.aclose()
        if forget_token and self.token_store is not None:
            await self.token_store.delete(store_code)

    async def aclose(self) -> None:
        """Close every client (idempotent)."""
        self._closed = True
        entries, self._entries = list(self._entries.values()), {}
        clients = [e.client for e in entries if e.client is not None]
        results = await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result


async def fetch_store_info(client: JumpsellerClient) -> dict[str, Any]:
    """``GET /store/info.json`` as a plain dict (live stores wrap it in ``{"store": ...}``)."""
    from .api.stores import get_store_info_json

    answer = await get_store_info_json.asyncio(client=client)
    data: Mapping[str, Any] = answer.to_dict()
    inner = data.get("store")
    if isinstance(inner, Mapping):
        data = inner
    return dict(data)
