"""Credentials (``_auth``): static and OAuth2, through httpx.MockTransport; nothing sleeps."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from jumpseller_async._auth import (
    DEFAULT_TOKEN_URL,
    BasicAuth,
    OAuth2,
    OAuth2Token,
    PartnerAuth,
    QueryAuth,
    resolve_auth,
)
from jumpseller_async.errors import AuthenticationError, ConfigurationError
from tests._authfakes import (
    API,
    B64,
    CLIENT_ID,
    CLIENT_SECRET,
    LOGIN,
    NEW_ACCESS,
    NEW_REFRESH,
    OLD_ACCESS,
    OLD_REFRESH,
    TOKEN,
    FakeClock,
    FakeJumpseller,
    client_for,
    oauth,
)

# --------------------------------------------------------------------------- static credentials


async def test_basic_auth_sends_basic_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async with client_for(BasicAuth(LOGIN, TOKEN), handler) as client:
        await client.get(f"{API}/products.json", params={"page": 2})

    assert seen[0].headers["Authorization"] == f"Basic {B64}"
    assert dict(seen[0].url.params) == {"page": "2"}


async def test_query_auth_adds_login_and_authtoken() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async with client_for(QueryAuth(LOGIN, TOKEN), handler) as client:
        await client.get(f"{API}/products.json", params={"page": 2})

    params = seen[0].url.params
    assert params["login"] == LOGIN
    assert params["authtoken"] == TOKEN
    assert params["page"] == "2"
    assert "Authorization" not in seen[0].headers


async def test_query_auth_does_not_duplicate_existing_params() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async with client_for(QueryAuth(LOGIN, TOKEN), handler) as client:
        await client.get(f"{API}/products.json?authtoken=stale")

    assert seen[0].url.params.get_list("authtoken") == [TOKEN]


async def test_partner_auth_adds_partner_params() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async with client_for(PartnerAuth("partner-42", "partner-secret-xyz"), handler) as client:
        await client.get(f"{API}/partners/stores.json")

    assert seen[0].url.params["partner_code"] == "partner-42"
    assert seen[0].url.params["auth_token"] == "partner-secret-xyz"


def test_reprs_hide_secrets() -> None:
    assert repr(BasicAuth(LOGIN, TOKEN)) == "BasicAuth(login='mystore', authtoken='***')"
    assert repr(QueryAuth(LOGIN, TOKEN)) == "QueryAuth(login='mystore', authtoken='***')"
    partner = repr(PartnerAuth("partner-42", "partner-secret-xyz"))
    assert partner == "PartnerAuth(partner_code='partner-42', auth_token='***')"
    auth = oauth(expires_at=1_700_003_600.0)
    assert repr(auth) == "OAuth2(expires_at=1700003600.0)"
    token_repr = repr(auth.token)
    for text in (repr(BasicAuth(LOGIN, TOKEN)), str(auth), token_repr):
        for secret in (TOKEN, B64, OLD_ACCESS, OLD_REFRESH, CLIENT_SECRET):
            assert secret not in text
    assert "1700003600.0" in token_repr


@pytest.mark.parametrize(
    ("login", "authtoken", "problem"),
    [
        ("", TOKEN, "login must not be empty"),
        (LOGIN, "", "authtoken must not be empty"),
        (None, TOKEN, "login is required"),
        (LOGIN, 12345, "authtoken must be a string"),
        (LOGIN, f" {TOKEN}\n", "authtoken has leading or trailing whitespace"),
        ("my:store", TOKEN, "login must not contain ':'"),
    ],
)
def test_basic_auth_validates_without_echoing(login: Any, authtoken: Any, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem) as info:
        BasicAuth(login, authtoken)
    assert TOKEN not in str(info.value)


# --------------------------------------------------------------------------- resolve_auth


def test_resolve_auth_builds_basic_and_query() -> None:
    assert isinstance(resolve_auth("basic", LOGIN, TOKEN), BasicAuth)
    assert isinstance(resolve_auth("query", LOGIN, TOKEN), QueryAuth)


def test_resolve_auth_passes_auth_objects_through() -> None:
    auth = oauth()
    assert resolve_auth(auth, None, None) is auth
    custom = httpx.BasicAuth("user", "pass")
    assert resolve_auth(custom, None, None) is custom


@pytest.mark.parametrize(
    ("auth", "login", "authtoken", "problem"),
    [
        ("basic", None, TOKEN, "needs login"),
        ("basic", LOGIN, None, "needs authtoken"),
        ("query", "", "", "needs login and authtoken"),
        ("basic", LOGIN, f"{TOKEN} ", "authtoken has leading or trailing whitespace"),
        (TOKEN, LOGIN, None, "unrecognised string"),
        (42, LOGIN, TOKEN, "not int"),
        (httpx.BasicAuth("u", "p"), LOGIN, TOKEN, "only used with auth='basic'"),
    ],
)
def test_resolve_auth_errors_name_the_problem(
    auth: Any, login: Any, authtoken: Any, problem: str
) -> None:
    with pytest.raises(ConfigurationError, match=problem) as info:
        resolve_auth(auth, login, authtoken)
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(info.value)


# --------------------------------------------------------------------------- OAuth2


async def test_oauth2_sends_bearer_without_refresh_when_fresh() -> None:
    server = FakeJumpseller(valid_token=OLD_ACCESS)
    clock = FakeClock()
    auth = oauth(clock, expires_at=clock.now + 3600)
    async with client_for(auth, server) as client:
        response = await client.get(f"{API}/products.json")

    assert response.status_code == 200
    assert server.api_requests[0].headers["Authorization"] == f"Bearer {OLD_ACCESS}"
    assert server.refresh_forms == []


@pytest.mark.parametrize("async_callback", [False, True])
async def test_oauth2_refreshes_near_expiry(async_callback: bool) -> None:
    server = FakeJumpseller()
    clock = FakeClock()
    stored: list[OAuth2Token] = []

    def sync_store(token: OAuth2Token) -> None:
        stored.append(token)

    async def async_store(token: OAuth2Token) -> None:
        await asyncio.sleep(0)
        stored.append(token)

    # 30 s left is inside the default 60 s margin.
    auth = oauth(
        clock,
        expires_at=clock.now + 30,
        on_token=async_store if async_callback else sync_store,
    )
    async with client_for(auth, server) as client:
        response = await client.get(f"{API}/products.json")

    assert response.status_code == 200
    assert server.refresh_forms == [
        {
            "grant_type": ["refresh_token"],
            "refresh_token": [OLD_REFRESH],
            "client_id": [CLIENT_ID],
            "client_secret": [CLIENT_SECRET],
        }
    ]
    assert [r.headers["Authorization"] for r in server.api_requests] == [f"Bearer {NEW_ACCESS}"]
    expected = OAuth2Token(
        NEW_ACCESS, NEW_REFRESH, 1_700_000_500 + 3600.0, created_at=1_700_000_500
    )
    assert stored == [expected]
    assert auth.token == expected
    assert auth.expires_at == 1_700_004_100.0


async def test_oauth2_refresh_keeps_new_refresh_token_for_next_refresh() -> None:
    server = FakeJumpseller()
    clock = FakeClock()
    auth = oauth(clock, expires_at=clock.now - 1)
    async with client_for(auth, server) as client:
        await client.get(f"{API}/products.json")
        clock.now = auth.expires_at or 0  # expired again
        await client.get(f"{API}/products.json")

    assert [form["refresh_token"] for form in server.refresh_forms] == [
        [OLD_REFRESH],
        [NEW_REFRESH],
    ]


async def test_oauth2_expiry_falls_back_to_now_without_created_at() -> None:
    server = FakeJumpseller(
        token_body={"access_token": NEW_ACCESS, "token_type": "bearer", "expires_in": 3600}
    )
    clock = FakeClock()
    auth = oauth(clock, expires_at=clock.now)
    async with client_for(auth, server) as client:
        await client.get(f"{API}/products.json")

    assert auth.expires_at == clock.now + 3600
    # No refresh_token in the answer: the old one stays usable.
    assert auth.token.refresh_token == OLD_REFRESH


async def test_oauth2_refreshes_on_401_and_retries_once() -> None:
    server = FakeJumpseller()
    stored: list[OAuth2Token] = []
    auth = oauth(on_token=stored.append)  # no expiry known: only a 401 triggers the refresh
    async with client_for(auth, server) as client:
        response = await client.post(f"{API}/products.json", json={"product": {"name": "Mug"}})

    assert response.status_code == 200
    assert len(server.refresh_forms) == 1
    assert [r.headers["Authorization"] for r in server.api_requests] == [
        f"Bearer {OLD_ACCESS}",
        f"Bearer {NEW_ACCESS}",
    ]
    # The body survives the retry.
    assert server.api_requests[1].content == server.api_requests[0].content != b""
    assert stored[0].access_token == NEW_ACCESS


async def test_oauth2_second_401_is_returned_not_looped() -> None:
    server = FakeJumpseller(valid_token="nobody-has-this")
    auth = oauth()
    async with client_for(auth, server) as client:
        response = await client.get(f"{API}/products.json")

    assert response.status_code == 401
    assert len(server.api_requests) == 2
    assert len(server.refresh_forms) == 1


async def test_oauth2_no_second_refresh_after_proactive_refresh() -> None:
    server = FakeJumpseller(valid_token="nobody-has-this")
    clock = FakeClock()
    auth = oauth(clock, expires_at=clock.now)
    async with client_for(auth, server) as client:
        response = await client.get(f"{API}/products.json")

    assert response.status_code == 401
    assert len(server.refresh_forms) == 1
    assert len(server.api_requests) == 1


async def test_oauth2_without_refresh_credentials_returns_401() -> None:
    server = FakeJumpseller()
    clock = FakeClock()
    auth = OAuth2(OLD_ACCESS, expires_at=clock.now - 100, clock=clock)
    assert not auth.can_refresh
    async with client_for(auth, server) as client:
        response = await client.get(f"{API}/products.json")

    assert response.status_code == 401
    assert server.refresh_forms == []
    assert len(server.api_requests) == 1


async def test_oauth2_concurrent_requests_share_one_refresh_near_expiry() -> None:
    server = FakeJumpseller()
    clock = FakeClock()
    auth = oauth(clock, expires_at=clock.now + 5)
    async with client_for(auth, server) as client:
        responses = await asyncio.gather(
            *(client.get(f"{API}/products/{i}.json") for i in range(10))
        )

    assert [r.status_code for r in responses] == [200] * 10
    assert len(server.refresh_forms) == 1
    assert {r.headers["Authorization"] for r in server.api_requests} == {f"Bearer {NEW_ACCESS}"}


async def test_oauth2_concurrent_401s_share_one_refresh() -> None:
    server = FakeJumpseller()
    auth = oauth()
    async with client_for(auth, server) as client:
        responses = await asyncio.gather(
            *(client.get(f"{API}/products/{i}.json") for i in range(10))
        )

    assert [r.status_code for r in responses] == [200] * 10
    assert len(server.refresh_forms) == 1
    assert len(server.api_requests) == 20


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (
            400,
            {"error": "invalid_grant", "error_description": f"bad token {OLD_REFRESH}"},
            "refused",
        ),
        (500, b"<html>oops</html>", "refused"),
        (200, b"not json " + OLD_ACCESS.encode(), "not JSON"),
        (200, {"token_type": "bearer", "refresh_token": NEW_REFRESH}, "no access_token"),
    ],
)
async def test_oauth2_refresh_failure_raises_without_secrets(
    status: int, body: Any, problem: str
) -> None:
    server = FakeJumpseller(token_status=status, token_body=body)
    auth = oauth(token_url=f"{DEFAULT_TOKEN_URL}")
    async with client_for(auth, server) as client:
        with pytest.raises(AuthenticationError, match=problem) as info:
            await client.get(f"{API}/products.json")

    error = info.value
    assert error.status_code == status
    assert error.method == "POST"
    assert error.url == DEFAULT_TOKEN_URL
    for text in (str(error), repr(error), repr(error.body), error.message):
        for secret in (OLD_ACCESS, OLD_REFRESH, CLIENT_SECRET, NEW_REFRESH):
            assert secret not in text
    if status == 400:
        assert "invalid_grant" in str(error)


async def test_oauth2_refresh_failure_releases_the_lock() -> None:
    server = FakeJumpseller(token_status=500, token_body={"error": "down"})
    auth = oauth()
    async with client_for(auth, server) as client:
        with pytest.raises(AuthenticationError):
            await client.get(f"{API}/products.json")
        server.token_status, server.token_body = 200, None
        response = await asyncio.wait_for(client.get(f"{API}/products.json"), timeout=2)
    assert response.status_code == 200


async def test_oauth2_from_token_round_trip_and_empty_access_token() -> None:
    server = FakeJumpseller()
    stored = OAuth2Token("", OLD_REFRESH, None)
    auth = OAuth2.from_token(stored, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    async with client_for(auth, server) as client:
        response = await client.get(f"{API}/products.json")
    assert response.status_code == 200
    assert len(server.refresh_forms) == 1
    assert len(server.api_requests) == 1


def test_oauth2_validates_configuration() -> None:
    with pytest.raises(ConfigurationError, match="access_token must not be empty"):
        OAuth2("")
    with pytest.raises(ConfigurationError, match="refresh_margin"):
        OAuth2(OLD_ACCESS, refresh_margin=-1)
    with pytest.raises(ConfigurationError, match="client_secret must not be empty"):
        OAuth2(OLD_ACCESS, client_secret="")


def test_oauth2_rejects_sync_client() -> None:
    with (
        httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client,
        pytest.raises(ConfigurationError, match="AsyncClient"),
    ):
        client.get(f"{API}/products.json", auth=oauth())
