"""Credentials and redaction: everything goes through httpx.MockTransport, nothing sleeps."""

from __future__ import annotations

import asyncio
import base64
import logging
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

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
from jumpseller_async._redact import (
    LOGGERS_TO_REDACT,
    SECRET_QUERY_PARAMS,
    SecretRedactingFilter,
    install_log_redaction,
    redact_secrets,
    redact_text,
    redact_url,
    register_secret,
)
from jumpseller_async.errors import AuthenticationError, ConfigurationError

API = "https://api.jumpseller.com/v1"
TOKEN = "0123456789abcdef0123456789abcdef"
LOGIN = "mystore"
B64 = base64.b64encode(f"{LOGIN}:{TOKEN}".encode()).decode()

OLD_ACCESS = "old-access-token-AAAA"
NEW_ACCESS = "new-access-token-BBBB"
OLD_REFRESH = "old-refresh-token-CCCC"
NEW_REFRESH = "new-refresh-token-DDDD"
CLIENT_ID = "app-client-id"
CLIENT_SECRET = "app-client-secret-EEEE"


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeJumpseller:
    """API endpoint accepting one bearer token, plus the OAuth token endpoint."""

    def __init__(
        self,
        *,
        valid_token: str = NEW_ACCESS,
        token_status: int = 200,
        token_body: Any = None,
        yield_during_refresh: bool = True,
    ) -> None:
        self.valid_token = valid_token
        self.token_status = token_status
        self.token_body = token_body
        self.yield_during_refresh = yield_during_refresh
        self.api_requests: list[httpx.Request] = []
        self.refresh_forms: list[dict[str, list[str]]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == DEFAULT_TOKEN_URL:
            self.refresh_forms.append(parse_qs(request.content.decode()))
            if self.yield_during_refresh:
                # Lets the other gathered requests run into the lock while this refresh is "in flight".
                await asyncio.sleep(0)
            if self.token_body is not None:
                body = self.token_body
                if isinstance(body, bytes):
                    return httpx.Response(self.token_status, content=body)
                return httpx.Response(self.token_status, json=body)
            return httpx.Response(
                self.token_status,
                json={
                    "access_token": NEW_ACCESS,
                    "token_type": "bearer",
                    "expires_in": 3600,
                    "refresh_token": NEW_REFRESH,
                    "created_at": 1_700_000_500,
                },
            )
        # A copy: the auth flow re-sends the same Request object with a new header.
        self.api_requests.append(
            httpx.Request(
                request.method, request.url, headers=request.headers.copy(), content=request.content
            )
        )
        await asyncio.sleep(0)
        if request.headers.get("Authorization") == f"Bearer {self.valid_token}":
            return httpx.Response(200, json={"ok": True})
        return httpx.Response(401, json={"message": "Unauthorized"})


def client_for(
    auth: httpx.Auth, handler: Callable[[httpx.Request], Any] | None = None
) -> httpx.AsyncClient:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler or echo), auth=auth)


def oauth(clock: FakeClock | None = None, **kwargs: Any) -> OAuth2:
    options: dict[str, Any] = {
        "refresh_token": OLD_REFRESH,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "clock": clock or FakeClock(),
    }
    options.update(kwargs)
    return OAuth2(OLD_ACCESS, **options)


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


# --------------------------------------------------------------------------- redact_url / text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"{API}/products.json?login=mystore&authtoken={TOKEN}&page=2",
            f"{API}/products.json?login=mystore&authtoken=***&page=2",
        ),
        (
            "https://x.test/a?authtoken=one&authtoken=two&limit=50",
            "https://x.test/a?authtoken=***&authtoken=***&limit=50",
        ),
        (
            "https://x.test/cb?code=abc%2Fdef%3D%3D&state=xyz",
            "https://x.test/cb?code=***&state=xyz",
        ),
        (
            "https://x.test/p?partner_code=p1&auth_token=s3cr%20et",
            "https://x.test/p?partner_code=p1&auth_token=***",
        ),
        (
            "https://x.test/t?access_token=a&refresh_token=r&client_secret=c&token=t&password=p",
            "https://x.test/t?access_token=***&refresh_token=***&client_secret=***&token=***&password=***",
        ),
        ("https://x.test/a?authtoken=&page=1", "https://x.test/a?authtoken=&page=1"),
        ("https://x.test/a?auth%74oken=zzz", "https://x.test/a?auth%74oken=***"),
        ("https://x.test/a#access_token=zzz&x=1", "https://x.test/a#access_token=***&x=1"),
        ("https://user:hunter2@x.test/a?b=1", "https://user:***@x.test/a?b=1"),
        (
            "https://x.test/r?next=https%3A%2F%2Fy.test%2F%3Fauthtoken%3Dzzz%26page%3D1",
            "https://x.test/r?next=https%3A%2F%2Fy.test%2F%3Fauthtoken%3D***%26page%3D1",
        ),
        (f"{API}/products.json", f"{API}/products.json"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_accepts_httpx_url() -> None:
    url = httpx.URL(f"{API}/orders.json", params={"authtoken": "a b+c", "status": "paid"})
    assert redact_url(url) == f"{API}/orders.json?authtoken=***&status=paid"


def test_secret_query_params_set() -> None:
    assert (
        frozenset(
            {
                "authtoken",
                "auth_token",
                "access_token",
                "refresh_token",
                "client_secret",
                "code",
                "token",
                "password",
            }
        )
        == SECRET_QUERY_PARAMS
    )


def test_redact_text() -> None:
    text = "token abc+/= sent as abc%2B%2F%3D; also xyz and abc+/=xyz"
    assert redact_text(text, ["abc+/=", "", "xyz"]) == "token *** sent as ***; also *** and ******"
    assert redact_text("nothing here", []) == "nothing here"


def test_redact_secrets_uses_registered_values() -> None:
    register_secret("registered-secret-9876")
    register_secret("")
    assert redact_secrets("it was registered-secret-9876!") == "it was ***!"


# --------------------------------------------------------------------------- logging


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


async def test_real_requests_leave_no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    server = FakeJumpseller()
    seen: list[httpx.Request] = []

    def echo(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async with client_for(QueryAuth(LOGIN, TOKEN), echo) as client:
        await client.get(f"{API}/products.json", params={"page": 1})
    async with client_for(BasicAuth(LOGIN, TOKEN), echo) as client:
        await client.get(f"{API}/products.json")
    async with client_for(oauth(), server) as client:
        await client.get(f"{API}/products.json")

    # The secrets really were sent, so their absence from the logs means something.
    assert seen[0].url.params["authtoken"] == TOKEN
    assert seen[1].headers["Authorization"] == f"Basic {B64}"
    assert server.api_requests[-1].headers["Authorization"] == f"Bearer {NEW_ACCESS}"

    logged = messages(caplog)
    assert any("HTTP Request: GET" in m and "authtoken=***" in m for m in logged)
    assert any("oauth/token" in m for m in logged)
    for message in logged:
        for secret in (TOKEN, B64, OLD_ACCESS, NEW_ACCESS, OLD_REFRESH, NEW_REFRESH, CLIENT_SECRET):
            assert secret not in message


def test_install_log_redaction_is_idempotent() -> None:
    install_log_redaction()
    install_log_redaction()
    for name in LOGGERS_TO_REDACT:
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, SecretRedactingFilter) for f in filters) == 1


def test_filter_attached_to_httpcore_child_loggers(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpcore.http11").debug(
        "send_request_headers.started request=%s headers=%r",
        "<Request [b'GET']>",
        [(b"Host", b"api.jumpseller.com"), (b"Authorization", b"Bearer unregistered-bearer-1")],
    )
    logging.getLogger("httpcore.connection").debug(
        "connect_tcp.started host=%r url=%s", "api.jumpseller.com", "/v1?authtoken=unregistered-2"
    )
    logged = "\n".join(messages(caplog))
    assert "unregistered-bearer-1" not in logged
    assert "unregistered-2" not in logged
    assert "send_request_headers.started request=<Request [b'GET']>" in logged


def make_record(name: str, level: int, msg: str, args: Any) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_filter_on_httpcore_shaped_record() -> None:
    unregistered_basic = base64.b64encode(b"other:unregistered-token").decode()
    record = make_record(
        "httpcore.http11",
        logging.DEBUG,
        "send_request_headers.started request=%r headers=%r",
        (
            "<Request [b'GET']>",
            [
                (b"Host", b"api.jumpseller.com"),
                (b"Authorization", f"Basic {unregistered_basic}".encode()),
                (b"Accept", b"*/*"),
            ],
        ),
    )
    assert SecretRedactingFilter().filter(record) is True
    message = record.getMessage()
    assert unregistered_basic not in message
    assert "(b'Authorization', b'Basic ***')" in message
    assert "(b'Accept', b'*/*')" in message
    assert message.startswith("send_request_headers.started request=")


def test_filter_on_httpcore_response_headers() -> None:
    # httpcore formats its own message, so the secret arrives inside msg with no args.
    record = make_record(
        "httpcore.http11",
        logging.DEBUG,
        "receive_response_headers.complete return_value=(b'HTTP/1.1', 302, b'Found', "
        "[(b'Location', b'https://x.test/cb?code=oauth-code-77&state=s')])",
        None,
    )
    SecretRedactingFilter().filter(record)
    assert "oauth-code-77" not in record.getMessage()
    assert "state=s" in record.getMessage()


def test_filter_on_httpx_info_record() -> None:
    record = make_record(
        "httpx",
        logging.INFO,
        'HTTP Request: %s %s "%s %d %s"',
        (
            "GET",
            httpx.URL(f"{API}/products.json?login=mystore&authtoken=plain-77&page=2"),
            "HTTP/1.1",
            200,
            "OK",
        ),
    )
    SecretRedactingFilter().filter(record)
    assert record.getMessage() == (
        f'HTTP Request: GET {API}/products.json?login=mystore&authtoken=***&page=2 "HTTP/1.1 200 OK"'
    )


def test_filter_redacts_registered_secrets_anywhere() -> None:
    BasicAuth("shop", "registered-token-55")
    b64 = base64.b64encode(b"shop:registered-token-55").decode()
    record = make_record("httpx", logging.WARNING, "saw %s and %s", ("registered-token-55", b64))
    SecretRedactingFilter().filter(record)
    assert record.getMessage() == "saw *** and ***"


def test_filter_leaves_clean_records_untouched() -> None:
    args = ("GET", 200)
    record = make_record("httpx", logging.INFO, "%s %d", args)
    SecretRedactingFilter().filter(record)
    assert record.msg == "%s %d"
    assert record.args == args


def test_filter_survives_bad_format_args() -> None:
    record = make_record("httpx", logging.INFO, "%s %s", ("only-one?authtoken=bad-fmt-1",))
    SecretRedactingFilter().filter(record)
    assert "bad-fmt-1" not in record.getMessage()


def test_filter_redacts_exception_text() -> None:
    try:
        raise RuntimeError("failed for https://x.test/?authtoken=exc-secret-3")
    except RuntimeError:
        record = logging.LogRecord(
            "httpx", logging.ERROR, __file__, 1, "boom", None, sys.exc_info()
        )
    SecretRedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "exc-secret-3" not in formatted
    assert "authtoken=***" in formatted


# --------------------------------------------------------------------------- echoed bodies


def test_redact_data_hides_registered_secrets_in_values_and_keys_without_recursing() -> None:
    from jumpseller_async._redact import redact_data

    register_secret("echoed-secret-4242")
    deep: Any = "echoed-secret-4242 at the bottom"
    for _ in range(5000):  # deeper than the stack would allow a recursive walk
        deep = [deep]
    body = {"message": "GET /x?authtoken=echoed-secret-4242", "echoed-secret-4242": deep, "n": 3}
    clean = redact_data(body)
    assert clean["message"] == "GET /x?authtoken=***"
    assert clean["n"] == 3 and "***" in clean
    bottom = clean["***"]
    for _ in range(5000):
        bottom = bottom[0]
    assert bottom == "*** at the bottom"
    assert body["message"].endswith("echoed-secret-4242")  # the original is not modified


def test_redact_bytes_hides_registered_secrets_in_raw_content() -> None:
    from jumpseller_async._redact import redact_bytes

    register_secret("raw secret/5151")
    raw = b"a raw secret/5151 b raw%20secret%2F5151 c raw+secret%2F5151 \xff"
    assert redact_bytes(raw) == b"a *** b *** c *** \xff"


def test_get_logger_only_in_our_tree() -> None:
    from jumpseller_async._redact import get_logger

    logger = get_logger("jumpseller_async.fault_suite_probe")
    assert any(isinstance(f, SecretRedactingFilter) for f in logger.filters)
    with pytest.raises(ValueError, match="not in the 'jumpseller_async' logger tree"):
        get_logger("somebody_else")


def test_redacted_traceback_replaces_exc_info() -> None:
    try:
        raise RuntimeError("failed for https://x.test/?authtoken=exc-secret-9")
    except RuntimeError:
        record = logging.LogRecord(
            "jumpseller_async", logging.ERROR, __file__, 1, "x", None, sys.exc_info()
        )
    SecretRedactingFilter().filter(record)
    # A formatter rendering exc_info itself (not the cached text) would bring the secret back.
    assert record.exc_info is None and record.exc_text and "exc-secret-9" not in record.exc_text
