"""Jumpseller webhooks, framework-agnostic: verify the signature, then parse the delivery.

::

    from jumpseller_async.webhooks import parse_event

    event = parse_event(raw_body, request_headers, hooks_token)   # raises WebhookSignatureError
    if event.event == "order_paid":
        order = event.payload.order          # jumpseller_async.models.OrderFields

Jumpseller signs each delivery with the store's **hooks token** (Admin → Settings →
Notifications → Webhooks, or ``hooks_token`` in ``GET /store/info.json``; not the API token):
``Jumpseller-Hmac-Sha256`` is the **base64** HMAC-SHA256 of the **raw body bytes**. Verify
before parsing, on the bytes as received: re-serialised JSON hashes differently.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigurationError, WebhookPayloadError, WebhookSignatureError
from .models import Category, Customer, Fulfillment, Order, Product

__all__ = [
    "EVENT_HEADER",
    "KNOWN_EVENTS",
    "SIGNATURE_HEADER",
    "STORE_CODE_HEADER",
    "TRIGGERED_AT_HEADER",
    "WebhookEvent",
    "idempotency_key",
    "parse_event",
    "parse_triggered_at",
    "sign",
    "verify_signature",
]

EVENT_HEADER = "Jumpseller-Event"
STORE_CODE_HEADER = "Jumpseller-Store-Code"
TRIGGERED_AT_HEADER = "Jumpseller-Triggered-At"
SIGNATURE_HEADER = "Jumpseller-Hmac-Sha256"

KNOWN_EVENTS = frozenset(
    {
        "order_pending_payment",
        "order_paid",
        "order_shipped",
        "order_canceled",
        "order_abandoned",
        "order_updated",
        "product_created",
        "product_updated",
        "product_deleted",
        "product_stock_updated",
        "customer_created",
        "customer_updated",
        "customer_deleted",
    }
)
"""Events Jumpseller documents. Others (subscriptions, new ones) are accepted all the same."""

# The body is the resource's API answer, wrapped in its singular name: the wrapper key picks
# the model. Wrappers that are not listed leave ``payload`` None (``raw`` still has them).
_MODELS: dict[str, Any] = {
    "order": Order,
    "product": Product,
    "customer": Customer,
    "category": Category,
    "fulfillment": Fulfillment,
    "order_fulfillment": Fulfillment,
}

_HMAC_SIZE = hashlib.sha256().digest_size


def sign(body: bytes, hooks_token: str) -> str:
    """The ``Jumpseller-Hmac-Sha256`` value Jumpseller sends for ``body``."""
    digest = hmac.new(hooks_token.encode(), bytes(body), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(body: bytes, signature: str | None, hooks_token: str) -> bool:
    """Whether ``signature`` is the base64 HMAC-SHA256 of ``body`` under ``hooks_token``.

    Compares in constant time. ``False`` -- never an exception -- for a missing, empty, hex,
    truncated or non-base64 signature, a body that is not bytes, or an empty hooks token
    (an empty key would let anyone sign).
    """
    if not isinstance(signature, str) or not isinstance(hooks_token, str) or not hooks_token:
        return False
    if not isinstance(body, (bytes, bytearray, memoryview)):
        return False
    candidate = signature.strip()
    if not candidate:
        return False
    try:
        received = base64.b64decode(candidate.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    # A hex digest is valid base64 too, but decodes to 48 bytes: the length check refuses it.
    if len(received) != _HMAC_SIZE:
        return False
    expected = hmac.new(hooks_token.encode(), bytes(body), hashlib.sha256).digest()
    return hmac.compare_digest(received, expected)


_TRIGGERED_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,9}))?"
    r"\s*(?P<zone>UTC|GMT|Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def parse_triggered_at(value: str | None) -> dt.datetime | None:
    """``2025-01-01 10:18:51.829 UTC`` (or ISO-8601) as an aware UTC datetime; None if unreadable."""
    if not isinstance(value, str):
        return None
    match = _TRIGGERED_RE.match(value.strip())
    if match is None:
        return None
    try:
        moment = dt.datetime.strptime(f"{match['date']} {match['time']}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    fraction = match["fraction"]
    if fraction:
        moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    zone = (match["zone"] or "UTC").upper()
    if zone in ("UTC", "GMT", "Z"):
        offset = dt.timedelta(0)
    else:
        sign_ = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign_ * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        return moment.replace(tzinfo=dt.timezone(offset)).astimezone(dt.timezone.utc)
    except ValueError:
        return None


def idempotency_key(
    body: bytes, *, event: str | None, store_code: str | None, triggered_at: str | None
) -> str:
    """A stable key for one delivery: the same for a re-delivery, different for another event.

    Jumpseller sends no delivery id, and a re-delivery repeats the body and headers, so the key
    hashes what identifies the delivery: store, event, trigger time and the raw body.
    """
    digest = hashlib.sha256()
    for part in (store_code or "", event or "", triggered_at or ""):
        encoded = part.encode("utf-8", "surrogateescape")
        digest.update(len(encoded).to_bytes(4, "big"))
        digest.update(encoded)
    digest.update(bytes(body))
    return digest.hexdigest()


class _Headers:
    """Case-insensitive view of any header mapping (HTTP header names are case-insensitive)."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._lowered: dict[str, str] = {}
        for name, value in headers.items():
            key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            self._lowered[key.lower()] = text

    def get(self, name: str) -> str | None:
        return self._lowered.get(name.lower())


@dataclass(frozen=True)
class WebhookEvent:
    """One verified delivery."""

    event: str
    """``order_paid``, ``product_updated``... kept as sent, known or not (see KNOWN_EVENTS)."""
    store_code: str | None
    triggered_at: dt.datetime | None
    """From ``Jumpseller-Triggered-At``; None when absent or unreadable."""
    payload: Any = field(repr=False)
    """The typed model of the body (``Order``, ``Product``, ``Customer``...), or None when the
    body's wrapper is not a known resource."""
    raw: dict[str, Any] = field(repr=False)
    """The decoded JSON body, complete."""
    idempotency_key: str
    """Same for a re-delivery of this event: run a handler once per key."""
    resource: str | None = None
    """The body's wrapper key (``order``...), when it has exactly one."""

    @property
    def known(self) -> bool:
        """Whether Jumpseller documents this event."""
        return self.event in KNOWN_EVENTS


def _resource_key(raw: dict[str, Any], event: str) -> str | None:
    if len(raw) == 1:
        return next(iter(raw))
    # Several keys: prefer the one the event names (``order_paid`` → ``order``).
    for key in raw:
        if event.startswith(key + "_"):
            return key
    return None


def parse_event(body: bytes, headers: Mapping[str, str], hooks_token: str) -> WebhookEvent:
    """Verify ``body`` against its ``Jumpseller-Hmac-Sha256`` header, then parse it.

    Raises :class:`~jumpseller_async.errors.WebhookSignatureError` for a missing or wrong
    signature (before looking at the body), :class:`~jumpseller_async.errors.WebhookPayloadError`
    for a signed body that is not a JSON object or that its model cannot read, and
    :class:`~jumpseller_async.errors.ConfigurationError` for an empty hooks token.
    """
    if not isinstance(hooks_token, str) or not hooks_token:
        raise ConfigurationError("hooks_token must be a non-empty string (the store's hooks token)")
    view = _Headers(headers)
    signature = view.get(SIGNATURE_HEADER)
    if not signature:
        raise WebhookSignatureError(f"the {SIGNATURE_HEADER} header is missing or empty")
    if not verify_signature(body, signature, hooks_token):
        raise WebhookSignatureError(
            f"the {SIGNATURE_HEADER} signature does not match the body (a forged or altered "
            "delivery, or the wrong hooks token: it is not the API token)"
        )
    event = (view.get(EVENT_HEADER) or "").strip()
    if not event:
        raise WebhookPayloadError(f"a signed delivery without the {EVENT_HEADER} header")
    try:
        raw = json.loads(bytes(body))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WebhookPayloadError(
            f"{event}: the signed body is not JSON ({type(exc).__name__} at byte "
            f"{getattr(exc, 'pos', '?')})"
        ) from None
    if not isinstance(raw, dict):
        raise WebhookPayloadError(
            f"{event}: the signed body is JSON {type(raw).__name__}, not an object"
        )
    resource = _resource_key(raw, event)
    model = _MODELS.get(resource) if resource is not None else None
    payload: Any = None
    if model is not None:
        try:
            payload = model.from_dict(raw)
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            raise WebhookPayloadError(
                f"{event}: the {resource!r} body does not fit {model.__name__} ({exc})"
            ) from None
    store_code = view.get(STORE_CODE_HEADER)
    triggered_raw = view.get(TRIGGERED_AT_HEADER)
    return WebhookEvent(
        event=event,
        store_code=store_code.strip() if store_code else None,
        triggered_at=parse_triggered_at(triggered_raw),
        payload=payload,
        raw=raw,
        idempotency_key=idempotency_key(
            body, event=event, store_code=store_code, triggered_at=triggered_raw
        ),
        resource=resource,
    )
