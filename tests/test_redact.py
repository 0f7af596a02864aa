"""``_redact``: URLs, free text, log records and echoed bodies never show a secret."""

from __future__ import annotations

import base64
import logging
import sys
from typing import Any

import httpx
import pytest

from jumpseller_async._auth import BasicAuth, QueryAuth
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
from tests._authfakes import (
    API,
    B64,
    CLIENT_SECRET,
    LOGIN,
    NEW_ACCESS,
    NEW_REFRESH,
    OLD_ACCESS,
    OLD_REFRESH,
    TOKEN,
    FakeJumpseller,
    client_for,
    oauth,
)

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
