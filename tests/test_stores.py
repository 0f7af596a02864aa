"""StoreRegistry: one client per store, added and removed at run time, closed together."""

from __future__ import annotations

import httpx
import pytest

from jumpseller_async import (
    BasicAuth,
    ConfigurationError,
    JumpsellerClient,
    MemoryTokenStore,
    OAuth2Token,
    RateLimiter,
    StoreRegistry,
    UnknownStoreError,
)
from jumpseller_async.api.products import get_products_count_json
from jumpseller_async.testing import FakeAccounts, FakeJumpseller

CLIENT_ID = "registry-app"
CLIENT_SECRET = "registry-app-secret"
ROOT = "http://accounts.test"


def platform() -> FakeAccounts:
    return FakeAccounts(
        [
            FakeJumpseller(seed=1, login="shop-a", limits=None, products=3),
            FakeJumpseller(seed=2, login="shop-b", limits=None, products=5),
            FakeJumpseller(seed=3, login="shop-c", limits=None, products=7),
        ],
        apps={CLIENT_ID: (CLIENT_SECRET, [])},
    )


def registry(accounts: FakeAccounts, **options: object) -> StoreRegistry:
    return StoreRegistry(
        base_url=f"{ROOT}/v1",
        transport=httpx.ASGITransport(app=accounts),
        token_url=f"{ROOT}/oauth/token",
        **options,  # type: ignore[arg-type]
    )


def basic(accounts: FakeAccounts, code: str) -> dict[str, str]:
    store = accounts.stores[code]
    return {"login": store.login, "authtoken": store.authtoken}


async def count(client: JumpsellerClient) -> int | None:
    return (await get_products_count_json.asyncio(client=client)).count


async def test_one_client_per_store_opened_on_first_use_and_closed_together() -> None:
    accounts = platform()
    stores = registry(accounts)
    stores.add("shop-a", **basic(accounts, "shop-a"))
    stores.add("shop-b", **basic(accounts, "shop-b"))
    assert stores.store_codes == ["shop-a", "shop-b"] and "shop-a" in stores
    async with stores:
        a = await stores.client("shop-a")
        assert await stores.client("shop-a") is a
        b = await stores.client("shop-b")
        assert (await count(a), await count(b)) == (3, 5)
    assert a.http.is_closed and b.http.is_closed
    with pytest.raises(ConfigurationError, match="closed"):
        await stores.client("shop-a")


async def test_stores_are_added_and_removed_at_run_time() -> None:
    accounts = platform()
    async with registry(accounts) as stores:
        stores.add("shop-a", **basic(accounts, "shop-a"))
        first = await stores.client("shop-a")
        stores.add("shop-c", auth=BasicAuth(**basic(accounts, "shop-c")))
        assert await count(await stores.client("shop-c")) == 7
        await stores.remove("shop-a")
        assert first.http.is_closed and "shop-a" not in stores
        with pytest.raises(UnknownStoreError):
            await stores.client("shop-a")
        stores.add("shop-a", **basic(accounts, "shop-a"))
        again = await stores.client("shop-a")
        assert again is not first and await count(again) == 3


async def test_an_unknown_store_is_a_404_style_error_not_a_key_error() -> None:
    async with registry(platform()) as stores:
        stores.add("shop-a", login="shop-a", authtoken="x" * 32)
        with pytest.raises(UnknownStoreError) as info:
            await stores.client("nope")
        assert not isinstance(info.value, KeyError)
        assert info.value.status_code == 404 and info.value.store_code == "nope"
        assert "unknown store 'nope'" in str(info.value) and "shop-a" in str(info.value)
        with pytest.raises(UnknownStoreError):
            await stores.remove("nope")
        with pytest.raises(UnknownStoreError):
            await stores.hooks_token("nope")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"store_code": ""}, "store_code"),
        ({"store_code": "a b"}, "store_code"),
        ({"store_code": "s", "login": "x"}, "both login and authtoken"),
        ({"store_code": "s"}, "no credentials"),
        ({"store_code": "s", "login": "x", "authtoken": "y", "hooks_token": ""}, "hooks_token"),
    ],
)
def test_bad_store_definitions_are_clear(kwargs: dict[str, str], match: str) -> None:
    stores = StoreRegistry()
    code = kwargs.pop("store_code")
    with pytest.raises(ConfigurationError, match=match):
        stores.add(code, **kwargs)  # type: ignore[arg-type]


def test_adding_twice_is_refused() -> None:
    stores = StoreRegistry()
    stores.add("s", login="s", authtoken="t" * 32)
    with pytest.raises(ConfigurationError, match="already registered"):
        stores.add("s", login="s", authtoken="t" * 32)


async def test_hooks_token_given_or_learned_from_store_info() -> None:
    accounts = platform()
    async with registry(accounts) as stores:
        stores.add("shop-a", **basic(accounts, "shop-a"), hooks_token="given-hooks-token")
        stores.add("shop-b", **basic(accounts, "shop-b"))
        assert await stores.hooks_token("shop-a") == "given-hooks-token"
        assert await stores.hooks_token("shop-b") == accounts.stores["shop-b"].hooks_token
        served = accounts.stores["shop-b"].stats.served
        await stores.hooks_token("shop-b")  # asked once
        assert accounts.stores["shop-b"].stats.served == served
    assert "given-hooks-token" not in repr(stores)


async def oauth_token(accounts: FakeAccounts, store: str) -> OAuth2Token:
    from urllib.parse import parse_qs, urlsplit

    from jumpseller_async.oauth import authorization_url, exchange_code

    url, _ = authorization_url(
        CLIENT_ID, "https://app.test/cb", "read_products", authorize_url=f"{ROOT}/oauth/authorize"
    )
    transport = httpx.ASGITransport(app=accounts)
    async with httpx.AsyncClient(transport=transport) as http:
        location = (await http.get(f"{url}&store={store}")).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    return await exchange_code(
        code,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri="https://app.test/cb",
        token_url=f"{ROOT}/oauth/token",
        transport=transport,
    )


async def test_oauth_install_learns_the_store_and_other_processes_find_it() -> None:
    accounts = platform()
    tokens = MemoryTokenStore()
    options = {"token_store": tokens, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    async with registry(accounts, **options) as worker_1, registry(accounts, **options) as worker_2:
        code, info = await worker_1.install(await oauth_token(accounts, "shop-c"))
        assert code == "shop-c" and info["code"] == "shop-c"
        assert await tokens.keys() == ["shop-c"]
        assert await count(await worker_1.client("shop-c")) == 7
        assert await worker_1.hooks_token("shop-c") == accounts.stores["shop-c"].hooks_token
        # Another worker never saw the install: it finds the token in the shared store.
        assert "shop-c" not in worker_2
        assert await count(await worker_2.client("shop-c")) == 7
        with pytest.raises(UnknownStoreError, match="none in the token store"):
            await worker_2.client("shop-a")
        await worker_1.remove("shop-c", forget_token=True)
        assert await tokens.keys() == []


async def test_the_install_probe_is_charged_to_the_stores_budget() -> None:
    # /store/info.json went out before the store was known: its request must count in the
    # store's windows, or 8 calls right after the install make 9 in one second.
    accounts = platform()
    options = {"token_store": MemoryTokenStore(), "client_id": CLIENT_ID}
    async with registry(accounts, client_secret=CLIENT_SECRET, **options) as stores:
        code, _ = await stores.install(await oauth_token(accounts, "shop-c"))
        limiter = (await stores.client(code)).limiter
        assert isinstance(limiter, RateLimiter)
        now = limiter.clock.monotonic()
        assert limiter.backend.count(1.0, now) == 1
        assert limiter.backend.count(60.0, now) == 1


async def test_registry_passes_the_store_code_as_rate_limit_key() -> None:
    accounts = platform()
    async with registry(accounts) as stores:
        stores.add("shop-a", **basic(accounts, "shop-a"))
        client = await stores.client("shop-a")
        assert client.rate_limit_key == "shop-a"
        # Any other client of the store given the same key spends the same budget.
        async with JumpsellerClient(
            **basic(accounts, "shop-a"), base_url=f"{ROOT}/v1", rate_limit_key="shop-a"
        ) as other:
            assert other.limiter is client.limiter
