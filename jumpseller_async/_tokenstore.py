"""Where a Jumpseller App keeps each store's OAuth token: in memory, or in Redis for many processes.

Jumpseller rotates the refresh token on every refresh, and the old one may stop working: two
processes that refresh the same store at once, each with the refresh token it read earlier,
would have one of them fail and -- worse -- may overwrite the newest token with an older one.
:class:`OAuth2` therefore refreshes under the store's :meth:`TokenStore.lock` and re-reads the
token inside it; the Redis lock makes that hold across processes and machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, runtime_checkable

from ._auth import OAuth2Token
from .errors import ConfigurationError, TokenStoreError

__all__ = ["MemoryTokenStore", "RedisTokenStore", "TokenStore"]


@runtime_checkable
class TokenStore(Protocol):
    """Per-store OAuth tokens, keyed by store code, plus a lock per key for refreshes."""

    async def get(self, key: str) -> OAuth2Token | None:
        """The stored token, or None."""
        ...

    async def set(self, key: str, token: OAuth2Token) -> None:
        """Store ``token`` (replacing any earlier one)."""
        ...

    async def delete(self, key: str) -> None:
        """Forget the token (the app was uninstalled)."""
        ...

    async def keys(self) -> list[str]:
        """Every key with a token, sorted."""
        ...

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Held while a refresh reads, spends and replaces ``key``'s refresh token."""
        ...


class MemoryTokenStore:
    """Tokens in this process only (tests, single-process apps)."""

    def __init__(self) -> None:
        self._tokens: dict[str, OAuth2Token] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={sorted(self._tokens)!r})"

    async def get(self, key: str) -> OAuth2Token | None:
        """The stored token, or None."""
        return self._tokens.get(key)

    async def set(self, key: str, token: OAuth2Token) -> None:
        """Store ``token`` (replacing any earlier one)."""
        if not isinstance(token, OAuth2Token):
            raise ConfigurationError(f"token must be an OAuth2Token, not {type(token).__name__}")
        self._tokens[key] = token

    async def delete(self, key: str) -> None:
        """Forget the token (the app was uninstalled)."""
        self._tokens.pop(key, None)

    async def keys(self) -> list[str]:
        """Every key with a token, sorted."""
        return sorted(self._tokens)

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        """Held while a refresh reads, spends and replaces ``key``'s refresh token."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            yield


class RedisTokenStore:
    """Tokens in Redis (``pip install 'jumpseller-async[redis]'``), shared by every process.

    ``redis`` is a URL or a ``redis.asyncio.Redis``. Each token is one JSON string under
    ``{prefix}token:{key}``; the refresh lock is redis-py's token-checked lock under
    ``{prefix}lock:{key}``, expiring after ``lock_timeout`` seconds so a crashed holder cannot
    block the store for ever. Waiting longer than ``lock_wait`` raises
    :class:`~jumpseller_async.errors.TokenStoreError`.

    The tokens are stored in clear: protect the Redis instance as you would the tokens.
    """

    def __init__(
        self,
        redis: Any,
        *,
        prefix: str = "jumpseller:oauth:",
        lock_timeout: float = 30.0,
        lock_wait: float = 35.0,
    ) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ConfigurationError(
                "RedisTokenStore needs redis-py: pip install 'jumpseller-async[redis]'"
            ) from exc
        if isinstance(redis, str):
            self._redis = aioredis.Redis.from_url(redis)
            self._owned = True
        elif isinstance(redis, aioredis.Redis):
            self._redis = redis
            self._owned = False
        else:
            raise ConfigurationError(
                f"redis must be a URL or a redis.asyncio.Redis, not {type(redis).__name__}"
            )
        if lock_timeout <= 0 or lock_wait <= 0:
            raise ConfigurationError("lock_timeout and lock_wait must be positive seconds")
        self.prefix = prefix
        self.lock_timeout = float(lock_timeout)
        self.lock_wait = float(lock_wait)

    def __repr__(self) -> str:
        return f"RedisTokenStore(prefix={self.prefix!r})"

    @property
    def redis(self) -> Any:
        """The Redis client the tokens are kept in."""
        return self._redis

    async def aclose(self) -> None:
        """Close the connection pool this store opened from a URL (a passed client is left open)."""
        if self._owned:
            await self._redis.aclose()

    def _token_key(self, key: str) -> str:
        return f"{self.prefix}token:{key}"

    async def get(self, key: str) -> OAuth2Token | None:
        """The stored token, or None."""
        raw = await self._call(key, self._redis.get(self._token_key(key)))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            raise TokenStoreError(
                f"the token stored for {key!r} is not JSON", store_code=key
            ) from None
        try:
            return OAuth2Token.from_dict(data)
        except ConfigurationError as exc:
            raise TokenStoreError(f"the token stored for {key!r}: {exc}", store_code=key) from None

    async def set(self, key: str, token: OAuth2Token) -> None:
        """Store ``token`` (replacing any earlier one)."""
        if not isinstance(token, OAuth2Token):
            raise ConfigurationError(f"token must be an OAuth2Token, not {type(token).__name__}")
        await self._call(key, self._redis.set(self._token_key(key), json.dumps(token.to_dict())))

    async def delete(self, key: str) -> None:
        """Forget the token (the app was uninstalled)."""
        await self._call(key, self._redis.delete(self._token_key(key)))

    async def keys(self) -> list[str]:
        """Every key with a token, sorted."""
        start = len(self._token_key(""))
        found: list[str] = []
        async for name in self._redis.scan_iter(match=self._token_key("*")):
            text = name.decode() if isinstance(name, bytes) else str(name)
            found.append(text[start:])
        return sorted(found)

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        """Held while a refresh reads, spends and replaces ``key``'s refresh token."""
        from redis.exceptions import LockError

        lock = self._redis.lock(
            f"{self.prefix}lock:{key}",
            timeout=self.lock_timeout,
            blocking_timeout=self.lock_wait,
        )
        acquired = await self._call(key, lock.acquire())
        if not acquired:
            raise TokenStoreError(
                f"could not take the refresh lock of {key!r} within {self.lock_wait:.0f}s",
                store_code=key,
            )
        try:
            yield
        finally:
            # Expired meanwhile (a refresh slower than lock_timeout): nothing left to release.
            with contextlib.suppress(LockError):
                await lock.release()

    async def _call(self, key: str, awaitable: Any) -> Any:
        from redis.exceptions import RedisError

        try:
            return await awaitable
        except RedisError as exc:
            # The exception text is redis-py's (host, port): no token is part of it.
            raise TokenStoreError(
                f"the Redis token store failed for {key!r}: {type(exc).__name__}: {exc}",
                store_code=key,
            ) from None
