"""Webhook signature verification and parsing, and the fake's signed deliveries."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import httpx
import pytest

from jumpseller_async import JumpsellerError, WebhookPayloadError, WebhookSignatureError
from jumpseller_async.errors import ConfigurationError, WebhookError
from jumpseller_async.models import Customer, Order, Product
from jumpseller_async.testing import FakeJumpseller, send_delivery
from jumpseller_async.webhooks import (
    KNOWN_EVENTS,
    idempotency_key,
    parse_event,
    parse_triggered_at,
    sign,
    verify_signature,
)

HOOKS_TOKEN = "hooks-0123456789abcdef-hooks"
BODY = b'{"order":{"id":101,"status":"Paid","customer":{"id":7,"email":"a@example.com"}}}'


def b64_hmac(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def headers_for(body: bytes, event: str = "order_paid", **extra: str) -> dict[str, str]:
    return {
        "Jumpseller-Event": event,
        "Jumpseller-Store-Code": "shop-a",
        "Jumpseller-Triggered-At": "2025-01-01 10:18:51.829 UTC",
        "Jumpseller-Hmac-Sha256": b64_hmac(body, HOOKS_TOKEN),
        **extra,
    }


# --------------------------------------------------------------------------- verify_signature


def test_sign_is_base64_hmac_sha256_of_raw_bytes() -> None:
    assert sign(BODY, HOOKS_TOKEN) == b64_hmac(BODY, HOOKS_TOKEN)
    assert verify_signature(BODY, b64_hmac(BODY, HOOKS_TOKEN), HOOKS_TOKEN)


def test_reserialised_json_does_not_verify() -> None:
    # The classic mistake: hashing json.dumps(json.loads(body)) instead of the bytes received.
    reserialised = json.dumps(json.loads(BODY)).encode()
    assert reserialised != BODY
    assert not verify_signature(reserialised, sign(BODY, HOOKS_TOKEN), HOOKS_TOKEN)


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "   ",
        hmac.new(HOOKS_TOKEN.encode(), BODY, hashlib.sha256).hexdigest(),  # hex, not base64
        b64_hmac(BODY, HOOKS_TOKEN)[:-4],  # truncated
        b64_hmac(BODY, HOOKS_TOKEN)[:-1],  # bad padding
        "not base64 at all!",
        "%%%%",
        "é" * 44,  # non-ASCII
        b64_hmac(BODY, "the-api-token-instead"),  # signed with the wrong token
        b64_hmac(BODY + b" ", HOOKS_TOKEN),  # another body
        base64.b64encode(b"\x00" * 32).decode(),  # right length, wrong bytes
        base64.urlsafe_b64encode(b"\xfb" * 32).decode(),  # url-safe alphabet
    ],
)
def test_bad_signatures_are_false_never_an_exception(signature: str | None) -> None:
    assert verify_signature(BODY, signature, HOOKS_TOKEN) is False


def test_odd_arguments_are_false() -> None:
    good = sign(BODY, HOOKS_TOKEN)
    assert verify_signature(BODY, good, "") is False  # an empty key would let anyone sign
    assert verify_signature(BODY.decode(), good, HOOKS_TOKEN) is False  # type: ignore[arg-type]
    assert verify_signature(BODY, 12345, HOOKS_TOKEN) is False  # type: ignore[arg-type]
    assert verify_signature(bytearray(BODY), good, HOOKS_TOKEN) is True
    assert verify_signature(BODY, f"  {good}\t", HOOKS_TOKEN) is True  # header whitespace


def test_constant_time_compare_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert verify_signature(BODY, sign(BODY, HOOKS_TOKEN), HOOKS_TOKEN)
    assert len(calls) == 1


# --------------------------------------------------------------------------- parse_event


def test_parse_event_reads_everything() -> None:
    event = parse_event(BODY, headers_for(BODY), HOOKS_TOKEN)
    assert event.event == "order_paid" and event.known
    assert event.store_code == "shop-a"
    assert event.triggered_at == dt.datetime(2025, 1, 1, 10, 18, 51, 829000, tzinfo=dt.timezone.utc)
    assert isinstance(event.payload, Order)
    assert event.payload.order is not None and event.payload.order.id == 101
    assert event.raw == json.loads(BODY)
    assert event.resource == "order"


def test_header_names_are_case_insensitive() -> None:
    lowered = {k.lower(): v for k, v in headers_for(BODY).items()}
    upper = {k.upper(): v for k, v in headers_for(BODY).items()}
    assert parse_event(BODY, lowered, HOOKS_TOKEN) == parse_event(BODY, upper, HOOKS_TOKEN)
    assert parse_event(BODY, httpx.Headers(headers_for(BODY)), HOOKS_TOKEN).event == "order_paid"


@pytest.mark.parametrize(
    ("event", "body", "model"),
    [
        ("product_updated", b'{"product":{"id":5,"name":"Mug","price":9.5}}', Product),
        ("product_stock_updated", b'{"product":{"id":5,"stock":3}}', Product),
        ("customer_created", b'{"customer":{"id":9,"email":"c@example.com"}}', Customer),
        ("order_pending_payment", b'{"order":{"id":3,"status":"Pending Payment"}}', Order),
    ],
)
def test_payload_is_the_resource_model(event: str, body: bytes, model: type) -> None:
    parsed = parse_event(body, headers_for(body, event), HOOKS_TOKEN)
    assert isinstance(parsed.payload, model)
    assert parsed.payload.to_dict() == json.loads(body)  # nothing dropped


def test_unknown_events_are_kept() -> None:
    body = b'{"subscription":{"id":1,"status":"active"}}'
    event = parse_event(body, headers_for(body, "subscription_renewed"), HOOKS_TOKEN)
    assert event.event == "subscription_renewed" and not event.known
    assert event.payload is None and event.raw == {"subscription": {"id": 1, "status": "active"}}
    assert "subscription_renewed" not in KNOWN_EVENTS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-01 10:18:51.829 UTC", dt.datetime(2025, 1, 1, 10, 18, 51, 829000)),
        ("2025-01-01 10:18:51 UTC", dt.datetime(2025, 1, 1, 10, 18, 51)),
        ("2025-01-01T10:18:51Z", dt.datetime(2025, 1, 1, 10, 18, 51)),
        ("2025-01-01T12:18:51.5+02:00", dt.datetime(2025, 1, 1, 10, 18, 51, 500000)),
        ("2025-01-01 10:18:51.123456789 UTC", dt.datetime(2025, 1, 1, 10, 18, 51, 123456)),
    ],
)
def test_triggered_at_formats(text: str, expected: dt.datetime) -> None:
    assert parse_triggered_at(text) == expected.replace(tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("text", [None, "", "yesterday", "2025-13-01 10:00:00 UTC", "2025-01-01"])
def test_unreadable_triggered_at_is_none(text: str | None) -> None:
    assert parse_triggered_at(text) is None
    body = BODY
    headers = headers_for(body)
    if text is None:
        del headers["Jumpseller-Triggered-At"]
    else:
        headers["Jumpseller-Triggered-At"] = text
    assert parse_event(body, headers, HOOKS_TOKEN).triggered_at is None


def test_idempotency_key_is_stable_per_delivery() -> None:
    first = parse_event(BODY, headers_for(BODY), HOOKS_TOKEN)
    again = parse_event(BODY, headers_for(BODY), HOOKS_TOKEN)
    assert first.idempotency_key == again.idempotency_key
    later = headers_for(BODY, **{"Jumpseller-Triggered-At": "2025-01-01 10:18:52.001 UTC"})
    assert parse_event(BODY, later, HOOKS_TOKEN).idempotency_key != first.idempotency_key
    other_event = parse_event(BODY, headers_for(BODY, "order_updated"), HOOKS_TOKEN)
    assert other_event.idempotency_key != first.idempotency_key
    # Fields are length-prefixed: moving text between them changes the key.
    assert idempotency_key(b"", event="ab", store_code="c", triggered_at=None) != idempotency_key(
        b"", event="b", store_code="ca", triggered_at=None
    )


def test_missing_signature_is_a_signature_error() -> None:
    headers = headers_for(BODY)
    del headers["Jumpseller-Hmac-Sha256"]
    with pytest.raises(WebhookSignatureError, match="missing"):
        parse_event(BODY, headers, HOOKS_TOKEN)


def test_forged_body_is_refused_before_parsing() -> None:
    forged = b"not even json"
    with pytest.raises(WebhookSignatureError, match="does not match") as info:
        parse_event(forged, headers_for(BODY), HOOKS_TOKEN)
    assert isinstance(info.value, WebhookError) and isinstance(info.value, JumpsellerError)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"<html>oops</html>", "not JSON"),
        (b'{"order": ', "not JSON"),
        (b"\xff\xfe\x00", "not JSON"),
        (b"[1, 2]", "JSON list, not an object"),
        (b"null", "JSON NoneType, not an object"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    ],
)
def test_signed_non_json_is_a_payload_error(body: bytes, match: str) -> None:
    with pytest.raises(WebhookPayloadError, match=match):
        parse_event(body, headers_for(body), HOOKS_TOKEN)


def test_signed_delivery_without_event_header() -> None:
    headers = headers_for(BODY)
    del headers["Jumpseller-Event"]
    with pytest.raises(WebhookPayloadError, match="Jumpseller-Event"):
        parse_event(BODY, headers, HOOKS_TOKEN)


def test_empty_hooks_token_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="hooks_token"):
        parse_event(BODY, headers_for(BODY), "")


def test_no_error_or_repr_shows_the_hooks_token() -> None:
    texts: list[str] = []
    for body, headers in [
        (BODY, {**headers_for(BODY), "Jumpseller-Hmac-Sha256": ""}),
        (BODY, {**headers_for(BODY), "Jumpseller-Hmac-Sha256": sign(BODY, "other")}),
        (b"nope", headers_for(b"nope")),
    ]:
        with pytest.raises(WebhookError) as info:
            parse_event(body, headers, HOOKS_TOKEN)
        texts += [str(info.value), repr(info.value)]
    texts.append(repr(parse_event(BODY, headers_for(BODY), HOOKS_TOKEN)))
    for text in texts:
        assert HOOKS_TOKEN not in text
        assert sign(BODY, HOOKS_TOKEN) not in text


# --------------------------------------------------------------------------- the fake's deliveries


async def test_fake_delivers_signed_webhooks_with_the_real_headers() -> None:
    fake = FakeJumpseller(seed=4, orders=5, limits=None)
    received: list[tuple[bytes, httpx.Headers]] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append((request.content, request.headers))
        return httpx.Response(200)

    order_id = fake.store.orders.ids[0]
    delivery = await fake.deliver(
        "order_paid", order_id, "http://app.test/hooks", transport=httpx.MockTransport(receiver)
    )
    assert delivery.status == 200 and delivery.attempts == 1
    body, headers = received[0]
    assert headers["Jumpseller-Event"] == "order_paid"
    assert headers["Jumpseller-Store-Code"] == fake.login
    assert parse_triggered_at(headers["Jumpseller-Triggered-At"]) is not None
    event = parse_event(body, headers, fake.hooks_token)
    assert isinstance(event.payload, Order) and event.payload.order is not None
    assert event.payload.order.id == order_id
    # The body is the API's own answer for that order.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake), base_url="http://fake/v1"
    ) as api:
        answer = await api.get(f"/orders/{order_id}.json", auth=(fake.login, fake.authtoken))
    assert json.loads(body) == answer.json()
    # The hooks token is the one /store/info.json gives.
    assert fake.store.info["hooks_token"] == fake.hooks_token


async def test_fake_delivery_retries_and_replays() -> None:
    fake = FakeJumpseller(seed=4, limits=None)
    statuses = iter([500, 503, 200, 200])
    seen: list[bytes] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(next(statuses))

    transport = httpx.MockTransport(receiver)
    delivery = await fake.deliver(
        "product_created",
        {"id": 1, "name": "Mug"},
        "http://app.test/h",
        transport=transport,
        retries=4,
    )
    assert (delivery.status, delivery.attempts) == (200, 3)
    replay = await send_delivery(delivery, transport=transport)
    assert replay.status == 200 and len(seen) == 4 and len(set(seen)) == 1


async def test_fake_can_forge_with_another_token() -> None:
    fake = FakeJumpseller(seed=4, limits=None)
    got: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: got.append(r) or httpx.Response(401))
    delivery = await fake.deliver(
        "customer_updated",
        {"customer": {"id": 2}},
        "http://app.test/h",
        transport=transport,
        hooks_token="not-the-hooks-token",
    )
    assert delivery.status == 401
    with pytest.raises(WebhookSignatureError):
        parse_event(got[0].content, got[0].headers, fake.hooks_token)


async def test_fake_delivery_of_a_missing_resource_is_a_clear_error() -> None:
    fake = FakeJumpseller(seed=4, limits=None)
    with pytest.raises(ValueError, match="cannot be read"):
        await fake.deliver("order_paid", 999_999_999, "http://app.test/h")
    with pytest.raises(ValueError, match="pass the resource as a dict"):
        await fake.deliver("subscription_renewed", 1, "http://app.test/h")
