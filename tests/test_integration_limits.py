"""The client against a strict sliding-window server over real HTTP (uvicorn on loopback)."""

from __future__ import annotations

import asyncio

import pytest

from jumpseller_async import JumpsellerClient
from jumpseller_async.api.products import get_products_id_json
from jumpseller_async.testing import FakeJumpseller

pytestmark = pytest.mark.integration


async def burst(client: JumpsellerClient, product_ids: list[int]) -> list[int]:
    answers = await asyncio.gather(
        *(get_products_id_json.asyncio(pid, client=client) for pid in product_ids)
    )
    return [answer.product.id for answer in answers]


async def test_concurrent_burst_never_exceeds_either_window() -> None:
    fake = FakeJumpseller(seed=3, products=40, limits=[(10, 1.0), (25, 60.0)], latency=0.01)
    ids = list(fake.store.products.ids)[:25]
    async with fake.run_in_background() as base_url:
        async with JumpsellerClient(
            fake.login, fake.authtoken, base_url=base_url, rate_limits=[(10, 1.0), (25, 60.0)]
        ) as client:
            assert await burst(client, ids) == ids
            stats = client.limiter.stats
    assert fake.stats.rejections == 0
    assert fake.stats.max_in_window(1.0) == 10  # bursts to the limit...
    assert fake.stats.max_in_window(60.0) == 25  # ...and never past it
    assert stats.admitted == 25


async def test_server_lower_than_the_client_thinks_is_learned_and_retried() -> None:
    fake = FakeJumpseller(seed=3, products=40, limits=[(4, 1.0), (100, 60.0)], latency=0.005)
    ids = list(fake.store.products.ids)[:16]
    async with fake.run_in_background() as base_url:
        # The caller's limits are a ceiling; the server's advertised 4/s lowers them.
        async with JumpsellerClient(
            fake.login, fake.authtoken, base_url=base_url, rate_limits=[(20, 1.0)]
        ) as client:
            # 16 asked at once: limits no header confirmed are probed, so the first answer's
            # headers teach 4/s before the rest go out (before issue 7: 12 refusals).
            assert await burst(client, ids) == ids
            assert dict((w, n) for n, w in client.limiter.limits)[1.0] == 4
    assert fake.stats.rejections == 0
    assert fake.stats.max_in_window(1.0) <= 4


async def test_oauth_bearer_and_query_credentials_against_the_fake() -> None:
    from jumpseller_async import AuthenticationError, OAuth2

    fake = FakeJumpseller(seed=3, products=5, limits=None, bearer_tokens={"app-token-123"})
    product_id = fake.store.products.ids[0]
    async with fake.run_in_background() as base_url:
        async with JumpsellerClient(auth=OAuth2("app-token-123"), base_url=base_url) as client:
            assert (
                await get_products_id_json.asyncio(product_id, client=client)
            ).product.id == product_id
        async with JumpsellerClient(
            fake.login, fake.authtoken, auth="query", base_url=base_url
        ) as client:
            assert (
                await get_products_id_json.asyncio(product_id, client=client)
            ).product.id == product_id
        async with JumpsellerClient(auth=OAuth2("expired-token"), base_url=base_url) as client:
            with pytest.raises(AuthenticationError) as info:
                await get_products_id_json.asyncio(product_id, client=client)
    assert "expired-token" not in str(info.value)
