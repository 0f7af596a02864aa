"""Webhook deliveries as Jumpseller sends them: the resource's API answer, signed with the hooks token."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from ..webhooks import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    STORE_CODE_HEADER,
    TRIGGERED_AT_HEADER,
    sign,
)
from ._http import HTTPError, Request

if TYPE_CHECKING:
    from ._app import FakeJumpseller

__all__ = ["WebhookDelivery", "build_delivery", "deliver", "send_delivery"]

# Which collection an event's resource id is looked up in.
_COLLECTIONS = {"order": "orders", "product": "products", "customer": "customers"}


@dataclass(frozen=True)
class WebhookDelivery:
    """One delivery: what was sent and how the receiver answered (``status`` None if unsent)."""

    url: str
    event: str
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    status: int | None = None
    attempts: int = 0


def _triggered_at(moment: dt.datetime | None) -> str:
    moment = (moment or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    # Jumpseller's format: "2025-01-01 10:18:51.829 UTC" (milliseconds).
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


def _resource_body(fake: FakeJumpseller, event: str, resource: Any) -> dict[str, Any]:
    name = event.split("_", 1)[0]
    if isinstance(resource, dict):
        if len(resource) == 1 and isinstance(next(iter(resource.values())), dict):
            return resource
        return {name: resource}
    if isinstance(resource, int) and not isinstance(resource, bool):
        plural = _COLLECTIONS.get(name)
        if plural is None:
            raise ValueError(f"{event}: pass the resource as a dict (no collection for {name!r})")
        path = f"/{plural}/{resource}.json"
        matched = fake.router.match("GET", path)
        if not isinstance(matched, tuple):
            raise ValueError(f"the fake serves no GET {path}")
        handler, params = matched
        request = Request(
            method="GET", path=path, params=params, query={}, body=None, store=fake.store
        )
        try:
            answer = handler(request)
        except HTTPError as exc:
            raise ValueError(f"{event}: {name} {resource} cannot be read: {exc.message}") from None
        if not isinstance(answer.body, dict):
            raise ValueError(f"{event}: GET {path} did not answer an object")
        return answer.body
    raise TypeError("resource must be a resource id (int) or its JSON object (dict)")


def build_delivery(
    fake: FakeJumpseller,
    event: str,
    resource: Any,
    url: str,
    *,
    hooks_token: str | None = None,
    triggered_at: dt.datetime | None = None,
) -> WebhookDelivery:
    """The body and headers Jumpseller would send for ``event`` about ``resource``."""
    body = json.dumps(
        _resource_body(fake, event, resource), ensure_ascii=False, separators=(",", ":")
    ).encode()
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: event,
        STORE_CODE_HEADER: fake.login,
        TRIGGERED_AT_HEADER: _triggered_at(triggered_at),
        SIGNATURE_HEADER: sign(body, hooks_token if hooks_token is not None else fake.hooks_token),
        "User-Agent": "Jumpseller-Webhooks (fake)",
    }
    return WebhookDelivery(url=url, event=event, body=body, headers=headers)


async def send_delivery(
    delivery: WebhookDelivery,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    retries: int = 0,
    timeout: float = 15.0,
) -> WebhookDelivery:
    """POST ``delivery`` (again, for a replay); up to ``retries`` more tries while not 2xx.

    Jumpseller waits ``timeout`` (15 s) for an answer and retries with growing delays; the
    fake retries at once, since tests should not sleep.
    """
    status: int | None = None
    attempts = 0
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as http:
        for _ in range(retries + 1):
            attempts += 1
            try:
                response = await http.post(
                    delivery.url, content=delivery.body, headers=delivery.headers
                )
            except httpx.HTTPError:
                status = None
                continue
            status = response.status_code
            if 200 <= status < 300:
                break
    return WebhookDelivery(
        url=delivery.url,
        event=delivery.event,
        body=delivery.body,
        headers=delivery.headers,
        status=status,
        attempts=attempts,
    )


async def deliver(
    fake: FakeJumpseller,
    event: str,
    resource: Any,
    url: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    hooks_token: str | None = None,
    triggered_at: dt.datetime | None = None,
    retries: int = 0,
) -> WebhookDelivery:
    """Build and send one delivery; see :meth:`FakeJumpseller.deliver`."""
    delivery = build_delivery(
        fake, event, resource, url, hooks_token=hooks_token, triggered_at=triggered_at
    )
    return await send_delivery(delivery, transport=transport, retries=retries)
