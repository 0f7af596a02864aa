"""Where a store's shared rate-limit state lives: checked once, when the client is built."""

from __future__ import annotations

from typing import Any

from .errors import ConfigurationError

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
INSTALL_HINT = "pip install 'jumpseller-async[redis]'"


def check_storage(storage: object) -> str | Any | None:
    """``None`` (in-process), a ``redis://`` URL, or a ``redis.asyncio.Redis``; else a clear error."""
    if storage is None:
        return None
    if isinstance(storage, str):
        if not storage.startswith(REDIS_SCHEMES):
            raise ConfigurationError(
                "rate_limit_storage must be a redis://, rediss:// or unix:// URL or a "
                f"redis.asyncio.Redis, got {redact_storage(storage)!r}"
            )
        try:
            import redis.asyncio  # noqa: F401
        except ImportError:
            raise ConfigurationError(
                f"rate_limit_storage={redact_storage(storage)!r} needs redis-py: {INSTALL_HINT}"
            ) from None
        return storage
    if callable(getattr(storage, "evalsha", None)) and callable(getattr(storage, "ping", None)):
        return storage
    raise ConfigurationError(
        "rate_limit_storage must be a redis:// URL or a redis.asyncio.Redis instance, "
        f"got {type(storage).__name__}"
    )


def redact_storage(url: str) -> str:
    """A storage URL without its password (``redis://:secret@host`` → ``redis://:***@host``)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user = userinfo.partition(":")[0]
    return f"{scheme}://{user}:***@{host}"
