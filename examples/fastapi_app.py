"""A Jumpseller App backend for several stores: OAuth install, per-store API calls, verified webhooks.

Serve it (``pip install 'jumpseller-async[fastapi,redis,cli]'``), with Redis so that every worker
shares OAuth tokens, install states, webhook claims and each store's rate budget::

    JUMPSELLER_CLIENT_ID=... JUMPSELLER_CLIENT_SECRET=... JUMPSELLER_APP_URL=https://app.example.com \\
    JUMPSELLER_REDIS_URL=redis://localhost:6379/0 \\
    JUMPSELLER_STORE_LOGIN=mystore JUMPSELLER_STORE_AUTHTOKEN=... \\
    uvicorn --app-dir examples fastapi_app:create_app --factory --workers 2

* ``GET /jumpseller/install`` starts the OAuth install (the app's redirect URI is
  ``{JUMPSELLER_APP_URL}/jumpseller/callback``); any number of stores can install.
* ``JUMPSELLER_STORE_LOGIN``/``_AUTHTOKEN`` add one store with its own API token (Basic).
* ``GET /stores/{store_code}/summary`` calls that store's API.
* ``POST /jumpseller/webhooks`` is the webhook URL to give Jumpseller for every store.

Run without arguments, it plays the whole loop offline against the fake Jumpseller, served over
real HTTP: ``python examples/fastapi_app.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from jumpseller_async import (
    JumpsellerClient,
    MemoryTokenStore,
    RedisTokenStore,
    StoreRegistry,
    TokenStore,
)
from jumpseller_async.api.orders import get_orders_count_json, get_orders_id_json
from jumpseller_async.api.products import get_products_count_json
from jumpseller_async.fastapi import JumpsellerApp, StoreClient
from jumpseller_async.models import Order, OrderFields
from jumpseller_async.webhooks import WebhookEvent

HANDLED_KEY = "fastapi_app:handled"


@dataclass(frozen=True)
class Settings:
    client_id: str
    client_secret: str
    app_url: str
    api_url: str = "https://api.jumpseller.com/v1"
    accounts_url: str = "https://accounts.jumpseller.com"
    redis_url: str | None = None
    store_login: str | None = None
    store_authtoken: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        missing = [
            name
            for name in ("JUMPSELLER_CLIENT_ID", "JUMPSELLER_CLIENT_SECRET", "JUMPSELLER_APP_URL")
            if not env.get(name)
        ]
        if missing:
            raise SystemExit(f"set {', '.join(missing)} (see the top of examples/fastapi_app.py)")
        return cls(
            client_id=env["JUMPSELLER_CLIENT_ID"],
            client_secret=env["JUMPSELLER_CLIENT_SECRET"],
            app_url=env["JUMPSELLER_APP_URL"].rstrip("/"),
            api_url=env.get("JUMPSELLER_API_URL", cls.api_url),
            accounts_url=env.get("JUMPSELLER_ACCOUNTS_URL", cls.accounts_url).rstrip("/"),
            redis_url=env.get("JUMPSELLER_REDIS_URL") or None,
            store_login=env.get("JUMPSELLER_STORE_LOGIN") or None,
            store_authtoken=env.get("JUMPSELLER_STORE_AUTHTOKEN") or None,
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    tokens: TokenStore = (
        RedisTokenStore(settings.redis_url) if settings.redis_url else MemoryTokenStore()
    )
    stores = StoreRegistry(
        token_store=tokens,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        token_url=f"{settings.accounts_url}/oauth/token",
        base_url=settings.api_url,
        # Every worker's clients of one store spend one budget, kept in Redis.
        rate_limit_storage=settings.redis_url,
    )
    if settings.store_login and settings.store_authtoken:
        stores.add(
            settings.store_login, login=settings.store_login, authtoken=settings.store_authtoken
        )
    jumpseller = JumpsellerApp(
        stores,
        redis=settings.redis_url,
        client_secret=settings.client_secret,
        redirect_uri=f"{settings.app_url}/jumpseller/callback",
        scopes=["read_orders", "read_products", "read_store"],
        authorize_url=f"{settings.accounts_url}/oauth/authorize",
    )
    handled: list[str] = []
    redis: Any = None
    if settings.redis_url:
        import redis.asyncio as aioredis

        redis = aioredis.Redis.from_url(settings.redis_url)

    @jumpseller.on("order_paid", "order_shipped")
    async def order_changed(event: WebhookEvent, client: JumpsellerClient) -> None:
        # The payload is the order as the API returns it (an Order); fields may be null.
        sent = event.payload.order if isinstance(event.payload, Order) else None
        if not isinstance(sent, OrderFields) or not isinstance(sent.id, int):
            return
        # The delivery may be late: ask the API for the order's current state.
        latest = (await get_orders_id_json.asyncio(client=client, id=sent.id)).order
        status = latest.status if isinstance(latest, OrderFields) else None
        record = f"{event.store_code}:{event.event}:{sent.id}:{status}"
        if redis is not None:
            await redis.rpush(HANDLED_KEY, record)  # every worker's handlers, in one list
        else:
            handled.append(record)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        async with jumpseller.lifespan(app):
            yield
        if redis is not None:
            await redis.aclose()
        if isinstance(tokens, RedisTokenStore):
            await tokens.aclose()

    app = FastAPI(title="Jumpseller App example", lifespan=lifespan)
    app.include_router(jumpseller.install_router("/jumpseller"))
    app.include_router(jumpseller.webhook_router("/jumpseller/webhooks"))

    @app.get("/stores/{store_code}/summary")
    async def summary(client: StoreClient) -> dict[str, Any]:
        orders = await get_orders_count_json.asyncio(client=client)
        products = await get_products_count_json.asyncio(client=client)
        return {"orders": orders.count, "products": products.count}

    @app.get("/health")
    async def health() -> dict[str, int]:
        return {"pid": os.getpid()}

    @app.get("/handled")
    async def handled_here() -> list[str]:
        """This process's handled deliveries when there is no Redis (the offline tour)."""
        return handled

    return app


# --------------------------------------------------------------------------- the offline tour


async def tour() -> None:
    import httpx
    import uvicorn

    from jumpseller_async.testing import FakeAccounts, FakeJumpseller, send_delivery

    shop_a = FakeJumpseller(seed=1, login="shop-a", products=40, orders=12)
    shop_b = FakeJumpseller(seed=2, login="shop-b", products=25, orders=9)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app_url = f"http://127.0.0.1:{port}"
    accounts = FakeAccounts(
        [shop_a, shop_b],
        apps={"tour-app": ("tour-app-secret", [f"{app_url}/jumpseller/callback"])},
    )
    async with accounts.run_in_background() as root:
        settings = Settings(
            client_id="tour-app",
            client_secret="tour-app-secret",
            app_url=app_url,
            api_url=f"{root}/v1",
            accounts_url=root,
            store_login=shop_a.login,
            store_authtoken=shop_a.authtoken,
        )
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        try:
            async with httpx.AsyncClient(base_url=app_url) as browser:
                # 1. shop-b installs the app: our /install → Jumpseller → our /callback.
                to_jumpseller = (await browser.get("/jumpseller/install")).headers["location"]
                back = (await browser.get(f"{to_jumpseller}&store=shop-b")).headers["location"]
                print("install:", (await browser.get(back)).json())
                # 2. both stores' APIs, one through Basic, one through OAuth.
                for code in ("shop-a", "shop-b"):
                    print(code, (await browser.get(f"/stores/{code}/summary")).json())
                print("unknown store:", (await browser.get("/stores/nope/summary")).status_code)
            # 3. a signed webhook, its re-delivery, and a forgery.
            url = f"{app_url}/jumpseller/webhooks"
            sent = await shop_b.deliver("order_paid", shop_b.store.orders.ids[0], url)
            again = await send_delivery(sent)
            forged = await shop_b.deliver(
                "order_paid", shop_b.store.orders.ids[1], url, hooks_token="guessed"
            )
            print("webhook:", sent.status, "replay:", again.status, "forged:", forged.status)
            async with httpx.AsyncClient(base_url=app_url) as http:
                print("handled:", (await http.get("/handled")).json())
        finally:
            server.should_exit = True
            await serving


if __name__ == "__main__":
    asyncio.run(tour())
