"""One limiter per store per process: every client of a store shares the store's budget.

A client per request (the usual web-framework dependency) is then exactly as safe as one shared
client, and closing a client does not reset what the store has spent. Limiters are kept per
event loop (their futures and timers belong to one loop) and per clock (tests run virtual time).
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import httpx

__all__ = ["rate_limit_key", "shared_limiter"]

_L = TypeVar("_L")

# Outside a running loop the limiter is created for "no loop" and serves whichever loop uses it
# first; asyncio.run() programs create clients before their loop exists.
_NO_LOOP = object()
_by_loop: weakref.WeakKeyDictionary[Any, dict[Hashable, Any]] = weakref.WeakKeyDictionary()
_unbound: dict[Hashable, Any] = {}
_object_keys: weakref.WeakKeyDictionary[httpx.Auth, str] = weakref.WeakKeyDictionary()


def rate_limit_key(base_url: str, auth: httpx.Auth, explicit: str | None = None) -> str:
    """The store a client spends the budget of: host + login, partner code, or the caller's key.

    OAuth credentials do not name their store: pass ``rate_limit_key=`` (the store code) so that
    every client of the store shares one budget; without it each credentials object is its own.
    """
    if explicit is not None:
        return explicit
    url = httpx.URL(base_url)
    host = url.host + (f":{url.port}" if url.port else "")
    login = getattr(auth, "login", None)
    if isinstance(login, str):
        return f"{host}/{login}"
    partner = getattr(auth, "partner_code", None)
    if isinstance(partner, str):
        return f"{host}/partner/{partner}"
    key = _object_keys.get(auth)
    if key is None:
        key = _object_keys[auth] = f"{host}/credentials/{uuid.uuid4().hex}"
    return key


def shared_limiter(key: Hashable, make: Callable[[], _L]) -> _L:
    """The limiter registered under ``key`` for the running loop, made on first use."""
    try:
        loop: Any = asyncio.get_running_loop()
    except RuntimeError:
        loop = _NO_LOOP
    if loop is _NO_LOOP:
        registry = _unbound
    else:
        registry = _by_loop.setdefault(loop, {})
        if key not in registry and key in _unbound:
            # Made before the loop started (a client built at import time): adopt it.
            registry[key] = _unbound.pop(key)
    limiter: _L | None = registry.get(key)
    if limiter is None:
        limiter = registry[key] = make()
    return limiter
