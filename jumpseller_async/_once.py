"""Keys that can be claimed once, with a time to live: OAuth ``state`` values, webhook deliveries.

In memory for one process, in Redis (``SET NX EX`` / ``DEL``, both atomic) when several worker
processes must agree that a key was already claimed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from .errors import ConfigurationError, TokenStoreError

__all__ = ["MemoryOnceStore", "OnceStore", "RedisOnceStore"]


@runtime_checkable
class OnceStore(Protocol):
    """A set of keys with expiry, where adding and removing say whether they changed anything."""

    async def add(self, key: str, ttl: float) -> bool:
        """Add ``key`` for ``ttl`` seconds; False if it is already there."""
        ...

    async def pop(self, key: str) -> bool:
        """Remove ``key``; True if it was there (and not expired)."""
        ...


class MemoryOnceStore:
    """One process's keys (expired ones are dropped as new ones arrive)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._expiry: dict[str, float] = {}
        self._clock = clock

    def __repr__(self) -> str:
        return f"MemoryOnceStore(keys={len(self._expiry)})"

    def _prune(self, now: float) -> None:
        for key in [k for k, until in self._expiry.items() if until <= now]:
            del self._expiry[key]

    async def add(self, key: str, ttl: float) -> bool:
        now = self._clock()
        self._prune(now)
        if key in self._expiry:
            return False
        self._expiry[key] = now + ttl
        return True

    async def pop(self, key: str) -> bool:
        now = self._clock()
        until = self._expiry.pop(key, None)
        return until is not None and until > now


class RedisOnceStore:
    """Keys in Redis, so every worker process sees the same claims."""

    def __init__(self, redis: Any, *, prefix: str) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ConfigurationError(
                "RedisOnceStore needs redis-py: pip install 'jumpseller-async[redis]'"
            ) from exc
        self._owned = isinstance(redis, str)
        if isinstance(redis, str):
            self._redis = aioredis.Redis.from_url(redis)
        elif isinstance(redis, aioredis.Redis):
            self._redis = redis
        else:
            raise ConfigurationError(
                f"redis must be a URL or a redis.asyncio.Redis, not {type(redis).__name__}"
            )
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"RedisOnceStore(prefix={self.prefix!r})"

    async def aclose(self) -> None:
        """Close the connection pool opened from a URL (a passed client is left open)."""
        if self._owned:
            await self._redis.aclose()

    async def add(self, key: str, ttl: float) -> bool:
        milliseconds = max(1, int(ttl * 1000))
        return bool(
            await self._call(self._redis.set(self.prefix + key, b"1", nx=True, px=milliseconds))
        )

    async def pop(self, key: str) -> bool:
        return bool(await self._call(self._redis.delete(self.prefix + key)))

    @staticmethod
    async def _call(awaitable: Any) -> Any:
        from redis.exceptions import RedisError

        try:
            return await awaitable
        except RedisError as exc:
            raise TokenStoreError(f"Redis failed: {type(exc).__name__}: {exc}") from None
