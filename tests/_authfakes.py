"""Credentials, a virtual wall clock and a fake OAuth token endpoint for the auth and redaction tests."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx

from jumpseller_async._auth import DEFAULT_TOKEN_URL, OAuth2

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
