"""Shared fixtures: a client on a mocked transport that never waits on a real clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from jumpseller_async import JumpsellerClient
from tests._redis import INSTALL_HINT, RedisServer

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


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server on a free port for the whole session (skips when not installed)."""
    try:
        server = RedisServer()
    except FileNotFoundError:
        pytest.skip(INSTALL_HINT)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of a running redis-server; the database is flushed before each test."""
    if not redis_server.running:
        redis_server.start()
    redis_server.flushall()
    return redis_server.url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that gets a real redis-server is an integration test whatever its module says, so
    # `make test-unit` (-m "not integration") never starts one.
    for item in items:
        if "redis_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)
