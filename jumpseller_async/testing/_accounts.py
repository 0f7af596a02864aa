"""accounts.jumpseller.com and api.jumpseller.com for many fake stores: the OAuth side of Jumpseller.

:class:`FakeAccounts` is one ASGI app serving

* ``GET /oauth/authorize`` -- the merchant approves at once: a 302 to ``redirect_uri`` with a
  single-use ``code`` and the ``state`` it was given. ``store=<code>`` (a fake-only parameter)
  picks which store installs; the first store otherwise.
* ``POST /oauth/token`` -- form fields, ``grant_type=authorization_code`` or ``refresh_token``.
  Every refresh **rotates** the refresh token: the spent one is refused afterwards
  (``invalid_grant``), as a stale refresh token from another process would be.
* ``GET /oauth/token/info`` -- the bearer token's scopes, lifetime and application.
* ``/v1/...`` -- the API of the store the credentials belong to (Basic login, query login or
  a bearer token it issued), so one base URL serves every store, like api.jumpseller.com.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from ._app import FakeJumpseller, Receive, Scope, Send, _import_uvicorn, _quiet_simulated_drops

__all__ = ["FakeAccounts", "IssuedToken"]


@dataclass
class _App:
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    store: str
    scope: str
    expires_at: float


@dataclass
class IssuedToken:
    """An access token the fake issued (tests read ``store``, ``scope``, ``expires_at``)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    client_id: str
    store: str
    scope: str
    created_at: int
    expires_at: float


class FakeAccounts:
    """The accounts server and the multi-store API front of the fake Jumpseller.

    ``stores`` are :class:`FakeJumpseller` instances (their ``login`` is the store code, their
    ``prefix`` must be ``/v1``). ``apps`` maps ``client_id`` to ``(client_secret,
    redirect_uris)``; an empty ``redirect_uris`` accepts any. ``expires_in`` is the access
    tokens' lifetime; ``clock`` (epoch seconds) lets tests expire them without waiting.
    """

    def __init__(
        self,
        stores: Sequence[FakeJumpseller],
        *,
        apps: dict[str, tuple[str, Sequence[str]]] | None = None,
        expires_in: int = 3600,
        code_ttl: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not stores:
            raise ValueError("FakeAccounts needs at least one store")
        self.stores: dict[str, FakeJumpseller] = {}
        for store in stores:
            if store.prefix != "/v1":
                raise ValueError("every store must be served under /v1")
            if store.login in self.stores:
                raise ValueError(f"two stores with the code {store.login!r}")
            self.stores[store.login] = store
        self.apps: dict[str, _App] = {}
        for client_id, (client_secret, uris) in (apps or {}).items():
            self.register_app(client_id, client_secret, uris)
        self.expires_in = expires_in
        self.code_ttl = code_ttl
        self.clock = clock
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, IssuedToken] = {}
        self._access: dict[str, IssuedToken] = {}
        self.counts: Counter[str] = Counter()
        """``authorize``, ``code``, ``refresh``, ``refused`` and ``info`` requests seen."""

    def register_app(
        self, client_id: str, client_secret: str, redirect_uris: Sequence[str] = ()
    ) -> None:
        self.apps[client_id] = _App(client_id, client_secret, tuple(redirect_uris))

    @property
    def tokens(self) -> list[IssuedToken]:
        """Every access token issued and not expired yet."""
        now = self.clock()
        return [t for t in self._access.values() if t.expires_at > now]

    def expire_access_tokens(self) -> None:
        """End every access token now (refresh tokens stay valid): the next call gets a 401."""
        for token in self._access.values():
            token.expires_at = self.clock() - 1
            self.stores[token.store].bearer_tokens.discard(token.access_token)

    # -- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await FakeJumpseller._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = str(scope.get("path", "/"))
        if path == "/v1" or path.startswith("/v1/"):
            await self._api(scope, receive, send)
            return
        body = await FakeJumpseller._read_body(receive)
        method = str(scope["method"]).upper()
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        if path == "/oauth/authorize" and method == "GET":
            status, out_headers, payload = self._authorize(query)
        elif path == "/oauth/token" and method == "POST":
            form = parse_qs(body.decode("latin-1"), keep_blank_values=True)
            status, out_headers, payload = self._token(form)
        elif path == "/oauth/token/info" and method == "GET":
            status, out_headers, payload = self._info(headers)
        else:
            status, out_headers, payload = 404, [], {"error": "not_found"}
        raw = json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(raw)).encode()),
                    (b"cache-control", b"no-store"),
                    *((k.encode("latin-1"), v.encode("latin-1")) for k, v in out_headers),
                ],
            }
        )
        await send({"type": "http.response.body", "body": raw})

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        store = self._store_for(scope)
        if store is None:
            raw = b'{"message":"Unauthorized"}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json; charset=utf-8"),
                        (b"content-length", str(len(raw)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": raw})
            return
        await store(scope, receive, send)

    def _store_for(self, scope: Scope) -> FakeJumpseller | None:
        import base64
        import binascii

        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            issued = self._access.get(value.strip())
            if issued is None:
                return None
            if issued.expires_at <= self.clock():
                self.stores[issued.store].bearer_tokens.discard(issued.access_token)
                return None
            return self.stores[issued.store]
        if scheme.lower() == "basic":
            try:
                login = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                return None
            return self.stores.get(login)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        login = (query.get("login") or [""])[-1]
        return self.stores.get(login)

    # -- OAuth -----------------------------------------------------------------------------

    def _authorize(self, query: dict[str, list[str]]) -> tuple[int, list[tuple[str, str]], Any]:
        self.counts["authorize"] += 1

        def arg(name: str) -> str:
            return (query.get(name) or [""])[-1]

        app = self.apps.get(arg("client_id"))
        redirect_uri = arg("redirect_uri")
        # Never redirect to an unchecked URI: answer the error here instead (RFC 6749 4.1.2.1).
        if app is None:
            return 400, [], {"error": "invalid_client", "error_description": "unknown client_id"}
        if not redirect_uri or (app.redirect_uris and redirect_uri not in app.redirect_uris):
            return 400, [], {"error": "invalid_redirect_uri"}
        state = arg("state")
        params: dict[str, str]
        store_code = arg("store") or next(iter(self.stores))
        if arg("response_type") != "code":
            params = {"error": "unsupported_response_type"}
        elif store_code not in self.stores:
            params = {"error": "access_denied", "error_description": "unknown store"}
        elif not arg("scope"):
            params = {"error": "invalid_scope"}
        else:
            code = secrets.token_urlsafe(24)
            self._codes[code] = _Code(
                app.client_id, redirect_uri, store_code, arg("scope"), self.clock() + self.code_ttl
            )
            params = {"code": code}
        if state:
            params["state"] = state
        separator = "&" if "?" in redirect_uri else "?"
        location = f"{redirect_uri}{separator}{urlencode(params)}"
        return 302, [("location", location)], {"redirect": "see Location"}

    def _client(self, form: dict[str, list[str]]) -> _App | None:
        client_id = (form.get("client_id") or [""])[-1]
        secret = (form.get("client_secret") or [""])[-1]
        app = self.apps.get(client_id)
        if app is None or not secrets.compare_digest(app.client_secret, secret):
            return None
        return app

    def _issue(self, app: _App, store: str, scope: str) -> IssuedToken:
        now = self.clock()
        token = IssuedToken(
            access_token=secrets.token_urlsafe(32),
            refresh_token=secrets.token_urlsafe(32),
            client_id=app.client_id,
            store=store,
            scope=scope,
            created_at=int(now),
            expires_at=int(now) + self.expires_in,
        )
        self._access[token.access_token] = token
        self._refresh[token.refresh_token] = token
        self.stores[store].bearer_tokens.add(token.access_token)
        return token

    @staticmethod
    def _answer(token: IssuedToken, expires_in: int) -> dict[str, Any]:
        return {
            "access_token": token.access_token,
            "token_type": "bearer",
            "expires_in": expires_in,
            "refresh_token": token.refresh_token,
            "scope": token.scope,
            "created_at": token.created_at,
        }

    def _refused(self, status: int, error: str, description: str) -> tuple[int, list[Any], Any]:
        self.counts["refused"] += 1
        return status, [], {"error": error, "error_description": description}

    def _token(self, form: dict[str, list[str]]) -> tuple[int, list[tuple[str, str]], Any]:
        grant = (form.get("grant_type") or [""])[-1]
        app = self._client(form)
        if app is None:
            return self._refused(
                401, "invalid_client", "Client authentication failed due to unknown client."
            )
        if grant == "authorization_code":
            self.counts["code"] += 1
            code = self._codes.pop((form.get("code") or [""])[-1], None)
            redirect_uri = (form.get("redirect_uri") or [""])[-1]
            if (
                code is None
                or code.client_id != app.client_id
                or code.expires_at <= self.clock()
                or code.redirect_uri != redirect_uri
            ):
                return self._refused(
                    400,
                    "invalid_grant",
                    "The provided authorization grant is invalid, expired, revoked, does not "
                    "match the redirection URI used in the authorization request, or was "
                    "issued to another client.",
                )
            token = self._issue(app, code.store, code.scope)
            return 200, [], self._answer(token, self.expires_in)
        if grant == "refresh_token":
            self.counts["refresh"] += 1
            # Rotation: a refresh token works once.
            old = self._refresh.pop((form.get("refresh_token") or [""])[-1], None)
            if old is None or old.client_id != app.client_id:
                return self._refused(
                    400, "invalid_grant", "The refresh token is invalid, expired or revoked."
                )
            token = self._issue(app, old.store, old.scope)
            return 200, [], self._answer(token, self.expires_in)
        return self._refused(400, "unsupported_grant_type", "The grant type is not supported.")

    def _info(self, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], Any]:
        self.counts["info"] += 1
        scheme, _, value = headers.get("authorization", "").partition(" ")
        issued = self._access.get(value.strip()) if scheme.lower() == "bearer" else None
        if issued is None or issued.expires_at <= self.clock():
            return (
                401,
                [],
                {"error": "invalid_token", "error_description": "The access token is invalid"},
            )
        return (
            200,
            [],
            {
                "resource_owner_id": issued.store,
                "scope": issued.scope.split(),
                "expires_in": max(0, int(issued.expires_at - self.clock())),
                "application": {"uid": issued.client_id},
                "created_at": issued.created_at,
            },
        )

    # -- real server -----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def run_in_background(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve on a real port in a task of the running loop; yields the root URL
        (``base_url`` is that plus ``/v1``, ``token_url`` plus ``/oauth/token``)."""
        import asyncio

        uvicorn = _import_uvicorn()
        _quiet_simulated_drops()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.setblocking(False)
        bound_port = sock.getsockname()[1]
        config = uvicorn.Config(self, log_level="warning", lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped before starting")
                await asyncio.sleep(0.005)
            yield f"http://{host}:{bound_port}"
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await task
            sock.close()
