"""jumpseller_async.fastapi in-process: webhook routes, install routes, the per-store dependency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from jumpseller_async import JumpsellerClient, MemoryTokenStore, StoreRegistry
from jumpseller_async._once import RedisOnceStore
from jumpseller_async.api.products import get_products_count_json
from jumpseller_async.fastapi import JumpsellerApp, StoreClient
from jumpseller_async.testing import FakeAccounts, FakeJumpseller, send_delivery
from jumpseller_async.webhooks import WebhookEvent, sign

CLIENT_ID = "fastapi-app"
CLIENT_SECRET = "fastapi-app-secret-value"
ROOT = "http://accounts.test"
APP = "http://app.test"
REDIRECT = f"{APP}/jumpseller/callback"


@dataclass
class Harness:
    accounts: FakeAccounts
    jumpseller: JumpsellerApp
    app: FastAPI
    http: httpx.AsyncClient
    seen: list[tuple[str, str | None, int | None]] = field(default_factory=list)

    @property
    def shop_a(self) -> FakeJumpseller:
        return self.accounts.stores["shop-a"]

    @property
    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    accounts = FakeAccounts(
        [
            FakeJumpseller(seed=1, login="shop-a", limits=None, products=3, orders=4),
            FakeJumpseller(seed=2, login="shop-b", limits=None, products=5, orders=4),
        ],
        apps={CLIENT_ID: (CLIENT_SECRET, [REDIRECT])},
    )
    registry = StoreRegistry(
        token_store=MemoryTokenStore(),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_url=f"{ROOT}/oauth/token",
        base_url=f"{ROOT}/v1",
        transport=httpx.ASGITransport(app=accounts),
        rate_limits=None,
    )
    shop_a = accounts.stores["shop-a"]
    registry.add("shop-a", login=shop_a.login, authtoken=shop_a.authtoken)
    jumpseller = JumpsellerApp(
        registry,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT,
        scopes=["read_orders", "read_products", "read_store"],
        authorize_url=f"{ROOT}/oauth/authorize",
    )
    app = FastAPI(lifespan=jumpseller.lifespan)
    app.include_router(jumpseller.webhook_router("/webhooks"))
    app.include_router(jumpseller.install_router("/jumpseller"))

    jumpseller.bind(app)  # the lifespan does it under a server; ASGITransport runs no lifespan

    @app.get("/stores/{store_code}/products/count")
    async def product_count(client: StoreClient) -> int:
        answer = await get_products_count_json.asyncio(client=client)
        assert answer.count is not None
        return answer.count

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=APP) as http:
        h = Harness(accounts, jumpseller, app, http)

        @jumpseller.on("order_paid", "product_updated")
        async def record(event: WebhookEvent, client: JumpsellerClient) -> None:
            order = event.raw.get("order") or event.raw.get("product") or {}
            # Handlers get the store's client: use it.
            await get_products_count_json.asyncio(client=client)
            h.seen.append((event.event, event.store_code, order.get("id")))

        yield h
    await jumpseller.aclose()


async def deliver(h: Harness, event: str = "order_paid", store: str = "shop-a", **kw: object):  # type: ignore[no-untyped-def]
    fake = h.accounts.stores[store]
    resource = kw.pop("resource", fake.store.orders.ids[0])
    return await fake.deliver(event, resource, f"{APP}/webhooks", transport=h.transport, **kw)


# --------------------------------------------------------------------------- webhooks


async def test_a_signed_webhook_is_handled_once_even_when_delivered_twice(h: Harness) -> None:
    delivery = await deliver(h)
    assert delivery.status == 200
    order_id = h.shop_a.store.orders.ids[0]
    assert h.seen == [("order_paid", "shop-a", order_id)]
    replay = await send_delivery(delivery, transport=h.transport)
    assert replay.status == 200
    assert len(h.seen) == 1 and h.jumpseller.handled == 1


async def test_concurrent_duplicates_run_once(h: Harness) -> None:
    delivery = await deliver(h, "product_updated", resource={"product": {"id": 77}})
    results = await asyncio.gather(
        *(send_delivery(delivery, transport=h.transport) for _ in range(5))
    )
    assert all(r.status == 200 for r in results)
    assert h.seen == [("product_updated", "shop-a", 77)]


async def test_forged_or_unsigned_webhooks_are_401_and_nothing_runs(h: Harness) -> None:
    forged = await deliver(h, hooks_token="guessed-token")
    assert forged.status == 401
    genuine = await deliver(h, "product_updated", resource={"product": {"id": 5}})
    assert genuine.status == 200
    h.seen.clear()
    tampered_body = genuine.body.replace(b'"id":5', b'"id":6')
    for body, headers in [
        (tampered_body, genuine.headers),
        (genuine.body, {k: v for k, v in genuine.headers.items() if k != "Jumpseller-Hmac-Sha256"}),
        (genuine.body, {**genuine.headers, "Jumpseller-Hmac-Sha256": ""}),
        # Hex of the right HMAC: the classic mistake, refused.
        (genuine.body, {**genuine.headers, "Jumpseller-Hmac-Sha256": "ab" * 32}),
        # Signed with the API token instead of the hooks token.
        (
            genuine.body,
            {**genuine.headers, "Jumpseller-Hmac-Sha256": sign(genuine.body, h.shop_a.authtoken)},
        ),
    ]:
        answer = await h.http.post("/webhooks", content=body, headers=headers)
        assert answer.status_code == 401, answer.text
    assert h.seen == []


async def test_webhooks_from_unknown_stores_or_without_store_are_401(h: Harness) -> None:
    other = FakeJumpseller(seed=9, login="stranger", limits=None)
    delivery = await other.deliver(
        "order_paid", {"order": {"id": 1}}, f"{APP}/webhooks", transport=h.transport
    )
    assert delivery.status == 401
    headers = {k: v for k, v in delivery.headers.items() if k != "Jumpseller-Store-Code"}
    assert (
        await h.http.post("/webhooks", content=delivery.body, headers=headers)
    ).status_code == 401
    assert h.seen == []


async def test_signed_garbage_is_400(h: Harness) -> None:
    body = b"<html>not json</html>"
    headers = {
        "Jumpseller-Event": "order_paid",
        "Jumpseller-Store-Code": "shop-a",
        "Jumpseller-Hmac-Sha256": sign(body, h.shop_a.hooks_token),
    }
    answer = await h.http.post("/webhooks", content=body, headers=headers)
    assert answer.status_code == 400 and "not JSON" in answer.text
    assert h.shop_a.hooks_token not in answer.text


async def test_events_without_handlers_are_acknowledged(h: Harness) -> None:
    delivery = await deliver(h, "subscription_renewed", resource={"subscription": {"id": 1}})
    assert delivery.status == 200 and h.seen == []


async def test_a_failing_handler_is_500_and_the_redelivery_runs_it_again(h: Harness) -> None:
    attempts: list[int] = []

    @h.jumpseller.on("customer_updated")
    async def flaky(event: WebhookEvent, client: JumpsellerClient) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database down")

    first = await deliver(h, "customer_updated", resource={"customer": {"id": 3}})
    assert first.status == 500
    again = await send_delivery(first, transport=h.transport)  # Jumpseller's retry
    assert again.status == 200 and len(attempts) == 2
    third = await send_delivery(first, transport=h.transport)
    assert third.status == 200 and len(attempts) == 2  # done: not run again


async def test_background_mode_acknowledges_first_and_drains_on_shutdown(h: Harness) -> None:
    h.jumpseller.background = True
    release = asyncio.Event()
    done: list[int] = []

    @h.jumpseller.on("order_shipped")
    async def slow(event: WebhookEvent, client: JumpsellerClient) -> None:
        await release.wait()
        done.append(1)

    delivery = await deliver(h, "order_shipped")
    assert delivery.status == 202 and done == []
    assert (await send_delivery(delivery, transport=h.transport)).status == 200  # duplicate
    release.set()
    await h.jumpseller.aclose()
    assert done == [1]


# --------------------------------------------------------------------------- per-store dependency


async def test_the_dependency_hands_each_store_its_client(h: Harness) -> None:
    assert (await h.http.get("/stores/shop-a/products/count")).json() == 3
    answer = await h.http.get("/stores/nope/products/count")
    assert answer.status_code == 404 and "unknown store 'nope'" in answer.json()["detail"]


# --------------------------------------------------------------------------- OAuth install


async def install(h: Harness, store: str = "shop-b") -> httpx.Response:
    start = await h.http.get("/jumpseller/install")
    assert start.status_code == 302
    location = start.headers["location"]
    assert location.startswith(f"{ROOT}/oauth/authorize?")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=h.accounts)) as browser:
        approved = await browser.get(f"{location}&store={store}")
    assert approved.status_code == 302
    back = approved.headers["location"]
    assert back.startswith(REDIRECT)
    return await h.http.get(back.removeprefix(APP))


async def test_install_exchanges_the_code_and_learns_the_store(h: Harness) -> None:
    answer = await install(h)
    assert answer.status_code == 200 and answer.json() == {"installed": "shop-b"}
    assert await h.jumpseller.registry.token_store.keys() == ["shop-b"]  # type: ignore[union-attr]
    assert (await h.http.get("/stores/shop-b/products/count")).json() == 5
    # Its webhooks verify with the hooks token /store/info.json gave.
    delivery = await deliver(h, store="shop-b")
    assert delivery.status == 200 and h.seen[-1][1] == "shop-b"


async def test_a_state_that_does_not_match_is_400(h: Harness) -> None:
    start = await h.http.get("/jumpseller/install")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    bad = await h.http.get("/jumpseller/callback", params={"code": "x", "state": "forged-state"})
    assert bad.status_code == 400 and bad.json()["detail"] == "state does not match"
    # The right state from another browser (no cookie) is refused too.
    async with httpx.AsyncClient(transport=h.transport, base_url=APP) as other_browser:
        stolen = await other_browser.get(
            "/jumpseller/callback", params={"code": "x", "state": state}
        )
    assert stolen.status_code == 400 and stolen.json()["detail"] == "state does not match"
    missing = await h.http.get("/jumpseller/callback", params={"code": "x"})
    assert missing.status_code == 400


async def test_a_state_works_once(h: Harness) -> None:
    start = await h.http.get("/jumpseller/install")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=h.accounts)) as browser:
        back = (await browser.get(start.headers["location"])).headers["location"].removeprefix(APP)
    cookie = h.http.cookies.get("jumpseller_oauth_state")
    assert (await h.http.get(back)).status_code == 200
    h.http.cookies.set("jumpseller_oauth_state", cookie or "", path="/jumpseller")
    replay = await h.http.get(back)
    assert replay.status_code == 400 and "used or expired" in replay.json()["detail"]


async def test_a_refused_code_is_400_with_the_servers_error(h: Harness) -> None:
    start = await h.http.get("/jumpseller/install")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    answer = await h.http.get(
        "/jumpseller/callback", params={"code": "never-issued", "state": state}
    )
    assert answer.status_code == 400
    assert answer.json()["detail"] == "code exchange refused: invalid_grant"
    assert CLIENT_SECRET not in answer.text


async def test_a_merchant_who_declines_gets_400(h: Harness) -> None:
    await h.http.get("/jumpseller/install")
    answer = await h.http.get("/jumpseller/callback", params={"error": "access_denied"})
    assert answer.status_code == 400 and "access_denied" in answer.text


# pytest fixture alias: tests take `h`
@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


@pytest.mark.integration
async def test_a_handler_over_its_time_bound_is_503_and_runs_again_on_redelivery(
    h: Harness,
) -> None:
    # Real time, briefly: asyncio.wait_for runs on the loop's clock.
    h.jumpseller.handler_timeout = 0.2
    stuck = asyncio.Event()
    runs: list[int] = []

    @h.jumpseller.on("order_canceled")
    async def slow(event: WebhookEvent, client: JumpsellerClient) -> None:
        runs.append(1)
        if len(runs) == 1:
            await stuck.wait()  # never set: overruns the bound

    first = await deliver(h, "order_canceled")
    assert first.status == 503 and runs == [1]
    again = await send_delivery(first, transport=h.transport)
    assert again.status == 200 and runs == [1, 1]


@pytest.mark.integration
async def test_webhook_claims_and_states_in_redis_are_shared(h: Harness, redis_url: str) -> None:
    # Two app instances (two workers) on one Redis: a delivery claimed by one is a duplicate for
    # the other, and a state issued by one is accepted once by the other.
    registry = h.jumpseller.registry
    first = JumpsellerApp(registry, redis=redis_url)
    second = JumpsellerApp(registry, redis=redis_url)
    ran: list[str] = []
    for app in (first, second):

        @app.on("order_paid")
        async def record(event: WebhookEvent, client: JumpsellerClient) -> None:
            ran.append(event.idempotency_key)

    delivery = await deliver(h)  # handled by h's own app (memory): sets up nothing in Redis
    statuses = [
        await app.handle_webhook(delivery.body, httpx.Headers(delivery.headers))
        for app in (first, second, first)
    ]
    assert statuses == [(200, "handled"), (200, "duplicate"), (200, "duplicate")]
    assert len(ran) == 1
    assert await first._once.add("state:s1", 60) is True
    assert await second._once.pop("state:s1") is True
    assert await first._once.pop("state:s1") is False
    for app in (first, second):
        assert isinstance(app._once, RedisOnceStore)
        await app._once.aclose()


async def test_a_replay_older_than_the_claims_is_refused(h: Harness) -> None:
    import time

    delivery = await deliver(h)
    assert delivery.status == 200 and len(h.seen) == 1
    # Eight days later the claim may be gone: the captured delivery is refused, not re-run.
    h.jumpseller._clock = lambda: time.time() + 8 * 24 * 3600
    late = await send_delivery(delivery, transport=h.transport)
    assert late.status == 401 and len(h.seen) == 1


async def test_no_repr_shows_a_secret(h: Harness) -> None:
    text = repr(h.jumpseller) + repr(h.jumpseller.registry)
    for secret in (CLIENT_SECRET, h.shop_a.authtoken, h.shop_a.hooks_token):
        assert secret not in text
