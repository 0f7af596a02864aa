"""Clients for the fault tests: on real local sockets or a MockTransport; back-off sleeps return at once."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from jumpseller_async import JumpsellerClient
from jumpseller_async.models import OrderCreate, OrderCreateFields
from tests._faultservers import Answer

LOGIN = "fault-store"
TOKEN = "fault-suite-token-7f3a9c2e5b8d1046"
BASIC = base64.b64encode(f"{LOGIN}:{TOKEN}".encode()).decode()
# Every form the token can take on the wire or in an echo.
SECRET_FORMS = (TOKEN, BASIC, quote(TOKEN, safe=""))


NESTED = b"[" * 100_000 + b"]" * 100_000


_DEFAULT_LIMITS = [(8, 1.0), (240, 60.0)]


class NoWaitClock:
    """Real monotonic time, but back-off sleeps return at once (the sockets stay real)."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)


def socket_client(base_url: str, **kwargs: Any) -> JumpsellerClient:
    kwargs.setdefault("rate_limits", None)
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("clock", NoWaitClock())
    return JumpsellerClient(LOGIN, TOKEN, base_url=base_url, **kwargs)


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response], *, auth: str = "basic", **kwargs: Any
) -> JumpsellerClient:
    kwargs.setdefault("rate_limits", None)
    kwargs.setdefault("clock", NoWaitClock())
    return JumpsellerClient(
        LOGIN, TOKEN, auth=auth, transport=httpx.MockTransport(handler), **kwargs
    )


def product_answer(product_id: int = 5) -> Answer:
    return Answer(body=json.dumps({"product": {"id": product_id}}).encode())


def order_body() -> OrderCreate:
    return OrderCreate(order=OrderCreateFields(status="Pending Payment"))


async def bounded(awaitable: Any, seconds: float = 10.0) -> Any:
    """A hang guard, not a timing assertion: a call that hangs fails the test instead."""
    return await asyncio.wait_for(awaitable, seconds)
