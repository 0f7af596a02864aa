"""Shared fixtures: a client on a mocked transport that never waits on a real clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from jumpseller_async import JumpsellerClient

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def make_client() -> Callable[..., JumpsellerClient]:
    def factory(handler: Handler, **kwargs: object) -> JumpsellerClient:
        kwargs.setdefault("rate_limits", None)
        return JumpsellerClient(
            "store", "token-0123456789", transport=httpx.MockTransport(handler), **kwargs
        )  # type: ignore[arg-type]

    return factory


@pytest.fixture
async def recorded() -> AsyncIterator[list[httpx.Request]]:
    yield []
