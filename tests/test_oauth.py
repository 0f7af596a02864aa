"""OAuth for Jumpseller Apps: authorization URL, code exchange, token info, token stores, and
refreshes that rotate the refresh token -- against the fake accounts server."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from jumpseller_async import (
    AuthenticationError,
    ConfigurationError,
    JumpsellerClient,
    MemoryTokenStore,
    OAuth2,
    OAuth2Token,
    OAuthError,
    RedisTokenStore,
    TokenStore,
    TokenStoreError,
)
from jumpseller_async.api.stores import get_store_info_json
from jumpseller_async.oauth import authorization_url, exchange_code, refresh_token, token_info
from jumpseller_async.testing import FakeAccounts, FakeJumpseller

CLIENT_ID = "app-client-id"
CLIENT_SECRET = "app-client-secret-do-not-leak"
REDIRECT = "https://app.example.com/jumpseller/callback"
ROOT = "http://accounts.test"


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_accounts(clock: Clock | None = None, **options: object) -> FakeAccounts:
    stores = [
        FakeJumpseller(seed=1, login="shop-a", limits=None, products=3),
        FakeJumpseller(seed=2, login="shop-b", limits=None, products=3),
    ]
    return FakeAccounts(
        stores,
        apps={CLIENT_ID: (CLIENT_SECRET, [REDIRECT])},
        clock=clock or Clock(),
        **options,  # type: ignore[arg-type]
    )


async def authorize(accounts: FakeAccounts, store: str = "shop-a") -> str:
    """The merchant approves: the code the fake redirects back with."""
    url, state = authorization_url(
        CLIENT_ID, REDIRECT, ["read_orders", "read_store"], authorize_url=f"{ROOT}/oauth/authorize"
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=accounts)) as http:
        answer = await http.get(url + f"&store={store}")
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert query["state"] == [state]
    return query["code"][0]


async def exchange(accounts: FakeAccounts, code: str, clock: Clock | None = None) -> OAuth2Token:
    return await exchange_code(
        code,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT,
        token_url=f"{ROOT}/oauth/token",
        transport=httpx.ASGITransport(app=accounts),
        clock=clock or Clock(),
    )


# --------------------------------------------------------------------------- authorization URL


def test_authorization_url_has_the_documented_parameters() -> None:
    url, state = authorization_url(CLIENT_ID, REDIRECT, ["read_orders", "write_products"])
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://accounts.jumpseller.com/oauth/authorize"
    )
    assert parse_qs(parts.query) == {
        "client_id": [CLIENT_ID],
        "redirect_uri": [REDIRECT],
        "response_type": ["code"],
        "scope": ["read_orders write_products"],
        "state": [state],
    }


def test_state_is_random_and_at_least_128_bits() -> None:
    states = {authorization_url(CLIENT_ID, REDIRECT, "read_orders")[1] for _ in range(200)}
    assert len(states) == 200
    # token_urlsafe(32): 32 random bytes, 43 base64url characters.
    assert all(len(s) >= 43 for s in states)
    assert authorization_url(CLIENT_ID, REDIRECT, "read_orders", state="mine")[1] == "mine"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("", REDIRECT, ["read_orders"]), "client_id"),
        ((CLIENT_ID, "ftp://x", ["read_orders"]), "redirect_uri"),
        ((CLIENT_ID, REDIRECT, []), "at least one scope"),
        ((CLIENT_ID, REDIRECT, ["orders"]), "unknown scope 'orders'"),
        ((CLIENT_ID, REDIRECT, "read_orders admin"), "unknown scope 'admin'"),
    ],
)
def test_authorization_url_refuses_bad_arguments(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        authorization_url(*args)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- code exchange


async def test_exchange_code_gives_a_token_with_expiry_from_created_at() -> None:
    clock = Clock(1_700_000_000.0)
    accounts = make_accounts(clock)
    code = await authorize(accounts)
    clock.now += 5  # the answer's created_at, not our clock, fixes the expiry
    token = await exchange(accounts, code, Clock(1_800_000_000.0))
    assert token.created_at == 1_700_000_005
    assert token.expires_at == 1_700_000_005 + 3600
    assert token.scope == "read_orders read_store"
    assert token.refresh_token and token.access_token
    # The token works against the API of the store that installed.
    async with JumpsellerClient(
        auth=OAuth2(token.access_token),
        base_url=f"{ROOT}/v1",
        transport=httpx.ASGITransport(app=accounts),
    ) as client:
        info = await get_store_info_json.asyncio(client=client)
    assert info.to_dict()["store"]["code"] == "shop-a"


async def test_a_used_code_is_refused_with_the_servers_error() -> None:
    accounts = make_accounts()
    code = await authorize(accounts)
    await exchange(accounts, code)
    with pytest.raises(OAuthError) as info:
        await exchange(accounts, code)
    error = info.value
    assert isinstance(error, AuthenticationError)
    assert error.error == "invalid_grant" and error.status_code == 400
    assert error.error_description and "invalid" in error.error_description
    assert "invalid_grant" in str(error)
    for text in (str(error), repr(error), str(error.body)):
        assert CLIENT_SECRET not in text and code not in text


async def test_a_wrong_client_secret_is_invalid_client_and_never_shown() -> None:
    accounts = make_accounts()
    code = await authorize(accounts)
    with pytest.raises(OAuthError) as info:
        await exchange_code(
            code,
            client_id=CLIENT_ID,
            client_secret="wrong-secret-value",
            redirect_uri=REDIRECT,
            token_url=f"{ROOT}/oauth/token",
            transport=httpx.ASGITransport(app=accounts),
        )
    assert info.value.error == "invalid_client" and info.value.status_code == 401
    assert "wrong-secret-value" not in str(info.value)


async def test_a_server_echoing_the_secret_does_not_leak_it() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400, json={"error": "invalid_request", "error_description": request.content.decode()}
        )

    with pytest.raises(OAuthError) as info:
        await exchange_code(
            "the-code-123",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=REDIRECT,
            transport=httpx.MockTransport(echo),
        )
    text = str(info.value) + repr(info.value) + str(info.value.body)
    assert CLIENT_SECRET not in text and "the-code-123" not in text
    assert info.value.error == "invalid_request"


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (httpx.Response(200, text="<html>"), "not JSON"),
        (httpx.Response(200, json=["x"]), "not a JSON object"),
        (httpx.Response(200, json={"token_type": "bearer"}), "no access_token"),
        (httpx.Response(502, text="Bad Gateway"), "HTTP 502"),
    ],
)
async def test_unusable_token_answers_are_typed_errors(answer: httpx.Response, match: str) -> None:
    with pytest.raises(OAuthError, match=match):
        await exchange_code(
            "code-unusable-answers",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=REDIRECT,
            transport=httpx.MockTransport(lambda request: answer),
        )


async def test_exchange_code_sends_the_documented_form() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"access_token": "acc-documented-form", "expires_in": 3600, "created_at": 10}
        )

    token = await exchange_code(
        "c0de",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT,
        transport=httpx.MockTransport(record),
    )
    request = seen[0]
    assert (
        request.method == "POST"
        and str(request.url) == "https://accounts.jumpseller.com/oauth/token"
    )
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["authorization_code"],
        "code": ["c0de"],
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
        "redirect_uri": [REDIRECT],
    }
    assert token.expires_at == 3610 and token.refresh_token is None


async def test_token_info_and_refresh_rotation() -> None:
    accounts = make_accounts()
    token = await exchange(accounts, await authorize(accounts, "shop-b"))
    transport = httpx.ASGITransport(app=accounts)
    info = await token_info(token, token_info_url=f"{ROOT}/oauth/token/info", transport=transport)
    assert info.scopes == ("read_orders", "read_store")
    assert info.application_uid == CLIENT_ID and info.expires_in == 3600
    fresh = await refresh_token(
        token,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_url=f"{ROOT}/oauth/token",
        transport=transport,
    )
    assert fresh.refresh_token != token.refresh_token
    with pytest.raises(OAuthError) as refused:  # rotated: the old refresh token is spent
        await refresh_token(
            token,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_url=f"{ROOT}/oauth/token",
            transport=transport,
        )
    assert refused.value.error == "invalid_grant"
    accounts.expire_access_tokens()
    with pytest.raises(OAuthError, match="token info endpoint refused"):
        await token_info(fresh, token_info_url=f"{ROOT}/oauth/token/info", transport=transport)


async def test_an_unreachable_token_endpoint_is_a_connection_error() -> None:
    from jumpseller_async import APIConnectionError

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(APIConnectionError, match="got no answer"):
        await exchange_code(
            "code-unreachable-endpoint",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=REDIRECT,
            transport=httpx.MockTransport(down),
        )


# --------------------------------------------------------------------------- token stores


def test_token_round_trips_through_a_dict_and_its_repr_hides_secrets() -> None:
    token = OAuth2Token("acc-123", "ref-456", 10.0, created_at=1.0, scope="read_orders")
    assert OAuth2Token.from_dict(token.to_dict()) == token
    assert "acc-123" not in repr(token) and "ref-456" not in repr(token)
    with pytest.raises(ConfigurationError, match="access_token"):
        OAuth2Token.from_dict({"refresh_token": "x"})
    with pytest.raises(ConfigurationError, match="expires_at"):
        OAuth2Token.from_dict({"access_token": "a", "expires_at": "soon"})


async def check_store(store: TokenStore) -> None:
    assert isinstance(store, TokenStore)
    assert await store.get("shop-a") is None
    token = OAuth2Token("a1", "r1", 100.0, created_at=1.0, scope="read_orders")
    await store.set("shop-a", token)
    await store.set("shop-b", OAuth2Token("a2", None, None))
    assert await store.get("shop-a") == token
    assert await store.keys() == ["shop-a", "shop-b"]
    await store.delete("shop-b")
    assert await store.keys() == ["shop-a"]
    order: list[str] = []

    async def hold(name: str) -> None:
        async with store.lock("shop-a"):
            order.append(f"{name} in")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            order.append(f"{name} out")

    await asyncio.gather(hold("x"), hold("y"))
    assert order in (["x in", "x out", "y in", "y out"], ["y in", "y out", "x in", "x out"])


async def test_memory_token_store() -> None:
    await check_store(MemoryTokenStore())


@pytest.mark.integration
async def test_redis_token_store(redis_url: str) -> None:
    store = RedisTokenStore(redis_url, prefix="t:")
    try:
        await check_store(store)
        await store.redis.set("t:token:broken", b"{not json")
        with pytest.raises(TokenStoreError, match="not JSON"):
            await store.get("broken")
        assert "a1" not in repr(store)
    finally:
        await store.aclose()


@pytest.mark.integration
async def test_redis_down_is_a_token_store_error() -> None:
    from tests._redis import free_port

    store = RedisTokenStore(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(TokenStoreError, match="Redis token store failed"):
            await store.get("shop-a")
    finally:
        await store.aclose()


# --------------------------------------------------------------------------- OAuth2 through a store


def oauth_client(accounts: FakeAccounts, store: TokenStore, clock: Clock) -> JumpsellerClient:
    auth = OAuth2.from_store(
        store,
        "shop-a",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_url=f"{ROOT}/oauth/token",
        clock=clock,
    )
    return JumpsellerClient(
        auth=auth,
        base_url=f"{ROOT}/v1",
        transport=httpx.ASGITransport(app=accounts),
        rate_limits=None,
    )


async def test_oauth2_reads_the_store_and_saves_rotated_tokens() -> None:
    clock = Clock()
    accounts = make_accounts(clock)
    store = MemoryTokenStore()
    first = await exchange(accounts, await authorize(accounts), clock)
    await store.set("shop-a", first)
    async with oauth_client(accounts, store, clock) as client:
        await get_store_info_json.asyncio(client=client)
        assert accounts.counts["refresh"] == 0
        clock.now += 3600  # expired: the next call refreshes first, and saves the new token
        await get_store_info_json.asyncio(client=client)
    saved = await store.get("shop-a")
    assert saved is not None and accounts.counts["refresh"] == 1
    assert saved.refresh_token != first.refresh_token and saved.access_token != first.access_token


async def test_oauth2_without_a_stored_token_says_install_first() -> None:
    accounts = make_accounts()
    async with oauth_client(accounts, MemoryTokenStore(), Clock()) as client:
        with pytest.raises(TokenStoreError, match="install the app"):
            await get_store_info_json.asyncio(client=client)


async def two_processes_refresh(store_a: TokenStore, store_b: TokenStore) -> FakeAccounts:
    """Two 'processes' (separate clients and OAuth2 objects) refresh one store at once."""
    clock = Clock()
    accounts = make_accounts(clock)
    first = await exchange(accounts, await authorize(accounts), clock)
    await store_a.set("shop-a", first)
    await store_b.set("shop-a", first)
    async with (
        oauth_client(accounts, store_a, clock) as a,
        oauth_client(accounts, store_b, clock) as b,
    ):
        await asyncio.gather(
            get_store_info_json.asyncio(client=a), get_store_info_json.asyncio(client=b)
        )
        clock.now += 3600
        await asyncio.gather(*(get_store_info_json.asyncio(client=c) for c in (a, b, a, b, a, b)))
    return accounts


@pytest.mark.integration
async def test_two_processes_sharing_redis_refresh_once_and_keep_the_rotated_token(
    redis_url: str,
) -> None:
    store_a, store_b = RedisTokenStore(redis_url), RedisTokenStore(redis_url)
    try:
        accounts = await two_processes_refresh(store_a, store_b)
        assert accounts.counts["refresh"] == 1 and accounts.counts["refused"] == 0
        saved = await store_a.get("shop-a")
        assert saved is not None
        # The stored refresh token is the live one: it refreshes.
        fresh = await refresh_token(
            saved,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_url=f"{ROOT}/oauth/token",
            transport=httpx.ASGITransport(app=accounts),
        )
        assert fresh.access_token
    finally:
        await store_a.aclose()
        await store_b.aclose()


async def test_without_a_shared_store_the_second_refresh_is_refused() -> None:
    # The control for the test above: the same race with a store each loses a refresh token.
    with pytest.raises(OAuthError) as info:
        await two_processes_refresh(MemoryTokenStore(), MemoryTokenStore())
    assert info.value.error == "invalid_grant"


async def test_refresh_failure_logs_and_errors_carry_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    accounts = make_accounts(clock)
    store = MemoryTokenStore()
    first = await exchange(accounts, await authorize(accounts), clock)
    await store.set("shop-a", OAuth2Token(first.access_token, "revoked-refresh-token", 0.0))
    caplog.set_level(logging.DEBUG)
    async with oauth_client(accounts, store, clock) as client:
        with pytest.raises(OAuthError) as info:
            await get_store_info_json.asyncio(client=client)
    text = str(info.value) + repr(info.value) + caplog.text + repr(client)
    for secret in (CLIENT_SECRET, "revoked-refresh-token", first.access_token):
        assert secret not in text


async def test_a_401_refreshes_through_the_store_once_and_retries() -> None:
    clock = Clock()
    accounts = make_accounts(clock)
    store = MemoryTokenStore()
    first = await exchange(accounts, await authorize(accounts), clock)
    await store.set("shop-a", first)
    async with oauth_client(accounts, store, clock) as client:
        await get_store_info_json.asyncio(client=client)
        accounts.expire_access_tokens()  # revoked early: expires_at still says it is valid
        answers = await asyncio.gather(
            *(get_store_info_json.asyncio(client=client) for _ in range(4))
        )
    assert all(a.to_dict()["store"]["code"] == "shop-a" for a in answers)
    assert accounts.counts["refresh"] == 1
    saved = await store.get("shop-a")
    assert saved is not None and saved.access_token != first.access_token
