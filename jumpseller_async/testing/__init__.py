"""A fake Jumpseller for tests and benchmarks.

::

    from jumpseller_async.testing import FakeJumpseller

    fake = FakeJumpseller(seed=1, products=500)
    transport = httpx.ASGITransport(app=fake)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake/v1") as http:
        ...

Everything is in memory and deterministic for a given ``seed``. Nothing here needs more
than the package's own dependencies, except :meth:`FakeJumpseller.serve` and
:meth:`FakeJumpseller.run_in_background`, which need uvicorn.
"""

from .._clock import FakeClock
from ._accounts import FakeAccounts, IssuedToken
from ._app import DEFAULT_LIMITS, FAULT_KINDS, FakeJumpseller, SimulatedDrop, Stats
from ._routes import ROUTES as _ROUTES
from ._store import Collection, Store
from ._store_limits import Decision, SlidingWindowLog, StoreRateLimiter
from ._webhooks import WebhookDelivery, send_delivery

ROUTES: tuple[tuple[str, str], ...] = tuple((method, path) for method, path, _ in _ROUTES)
"""Every ``(METHOD, path template)`` the fake serves (templates as in the specs codegen merges)."""

__all__ = [
    "DEFAULT_LIMITS",
    "FAULT_KINDS",
    "ROUTES",
    "Collection",
    "Decision",
    "FakeAccounts",
    "FakeClock",
    "FakeJumpseller",
    "IssuedToken",
    "SimulatedDrop",
    "SlidingWindowLog",
    "Stats",
    "Store",
    "StoreRateLimiter",
    "WebhookDelivery",
    "send_delivery",
]
