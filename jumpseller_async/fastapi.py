"""FastAPI for Jumpseller Apps: verified webhooks, the OAuth install routes, a client per store.

``pip install 'jumpseller-async[fastapi]'`` (and ``[redis]`` for several worker processes)::

    stores = StoreRegistry(token_store=RedisTokenStore(REDIS), client_id=ID, client_secret=SECRET,
                           rate_limit_storage=REDIS)
    jumpseller = JumpsellerApp(stores, redis=REDIS, client_id=ID, client_secret=SECRET,
                               redirect_uri="https://app.example.com/jumpseller/callback",
                               scopes=["read_orders"])

    @jumpseller.on("order_paid")
    async def paid(event: WebhookEvent, client: JumpsellerClient) -> None: ...

    app = FastAPI(lifespan=jumpseller.lifespan)
    app.include_router(jumpseller.webhook_router("/jumpseller/webhooks"))
    app.include_router(jumpseller.install_router("/jumpseller"))

    @app.get("/stores/{store_code}/orders/count")
    async def count(client: JumpsellerClient = Depends(jumpseller.store_client)) -> int: ...

**Webhooks.** The route reads the raw body and verifies ``Jumpseller-Hmac-Sha256`` with the
store's hooks token before anything else: a missing, forged or foreign signature is a 401 and
nothing runs. Each delivery is then claimed by its idempotency key (in Redis when ``redis`` is
given, so every worker agrees), so a re-delivery is acknowledged without running twice. A
delivery triggered longer ago than ``dedup_ttl`` (7 days) is refused (401): its claim may be gone,
so a captured delivery cannot be replayed into a second run.

Handlers run *inline, within a bound*: the answer waits for them up to ``handler_timeout``
(10 s, under Jumpseller's 15 s). Success → 200. A handler that fails or overruns → 500/503, the
claim is released, and Jumpseller's own re-delivery (4 more tries) runs it again -- nothing is
lost when a worker dies mid-handler, which acknowledging first would risk. Pass
``background=True`` for long work: the answer (202) comes at once and the handlers run in a task
the lifespan drains on shutdown; a failure there is logged, not re-delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Annotated, Any

try:
    from fastapi import APIRouter, Depends, HTTPException, Request
    from fastapi.responses import JSONResponse, RedirectResponse, Response
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "jumpseller_async.fastapi needs FastAPI: pip install 'jumpseller-async[fastapi]'"
    ) from exc

from ._client import JumpsellerClient
from ._once import MemoryOnceStore, OnceStore, RedisOnceStore
from ._redact import get_logger, register_secret
from ._stores import StoreRegistry
from .errors import (
    ConfigurationError,
    JumpsellerError,
    OAuthError,
    TokenStoreError,
    UnknownStoreError,
    WebhookPayloadError,
    WebhookSignatureError,
)
from .oauth import DEFAULT_AUTHORIZE_URL, authorization_url, exchange_code
from .webhooks import STORE_CODE_HEADER, WebhookEvent, _Headers, parse_event

__all__ = ["JumpsellerApp", "StoreClient", "WebhookHandler", "current_store_client"]

logger = get_logger("jumpseller_async.fastapi")

WebhookHandler = Callable[[WebhookEvent, JumpsellerClient], Awaitable[None]]
InstallCallback = Callable[[str, dict[str, Any]], Awaitable[None] | None]

STATE_COOKIE = "jumpseller_oauth_state"


class JumpsellerApp:
    """Webhook and install routes plus a per-store client dependency around a StoreRegistry.

    ``redis`` (a URL or ``redis.asyncio.Redis``) keeps OAuth states and claimed webhook
    deliveries where every worker process sees them; without it they live in this process.
    The OAuth settings are needed only by :meth:`install_router`.
    """

    def __init__(
        self,
        registry: StoreRegistry,
        *,
        redis: Any = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str | None = None,
        scopes: Iterable[str] = (),
        authorize_url: str = DEFAULT_AUTHORIZE_URL,
        handler_timeout: float = 10.0,
        background: bool = False,
        dedup_ttl: float = 7 * 24 * 3600.0,
        state_ttl: float = 600.0,
        on_install: InstallCallback | None = None,
        key_prefix: str = "jumpseller:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if handler_timeout <= 0 or dedup_ttl <= 0 or state_ttl <= 0:
            raise ConfigurationError("handler_timeout, dedup_ttl and state_ttl must be positive")
        self.registry = registry
        self.client_id = client_id if client_id is not None else registry.client_id
        self._client_secret = client_secret
        register_secret(client_secret)
        self.redirect_uri = redirect_uri
        self.scopes = list(scopes)
        self.authorize_url = authorize_url
        self.handler_timeout = float(handler_timeout)
        self.background = background
        self.dedup_ttl = float(dedup_ttl)
        self.state_ttl = float(state_ttl)
        self.on_install = on_install
        self._clock = clock
        self._once: OnceStore = (
            RedisOnceStore(redis, prefix=key_prefix) if redis is not None else MemoryOnceStore()
        )
        self._handlers: dict[str, list[WebhookHandler]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.handled = 0
        """Deliveries whose handlers all succeeded in this process."""

    def __repr__(self) -> str:
        return f"JumpsellerApp(registry={self.registry!r}, events={sorted(self._handlers)!r})"

    # --- lifecycle -------------------------------------------------------------------------

    def bind(self, app: Any) -> None:
        """Make this the JumpsellerApp that :data:`StoreClient` finds on ``app`` (the lifespan
        does it too)."""
        app.state.jumpseller = self

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any = None) -> AsyncIterator[None]:
        """``FastAPI(lifespan=jumpseller.lifespan)``: binds the app (see :meth:`bind`); on
        shutdown, finishes background handlers (up to ``handler_timeout``) and closes every
        store's client."""
        if app is not None:
            self.bind(app)
        try:
            yield
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=self.handler_timeout)
            for task in pending:
                task.cancel()
        try:
            await self.registry.aclose()
        finally:
            if isinstance(self._once, RedisOnceStore):
                await self._once.aclose()

    # --- per-store clients -----------------------------------------------------------------

    async def store_client(self, store_code: str) -> JumpsellerClient:
        """Dependency: the client of the store named by the ``{store_code}`` path parameter.

        An unknown store is a 404; a token store that fails is a 503.
        """
        try:
            return await self.registry.client(store_code)
        except UnknownStoreError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        except TokenStoreError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None

    # --- webhooks --------------------------------------------------------------------------

    def on(self, *events: str) -> Callable[[WebhookHandler], WebhookHandler]:
        """Register a handler for ``events`` (``"*"``: every event, unknown ones included)."""
        if not events:
            raise ConfigurationError("name at least one event, or '*' for all")

        def register(handler: WebhookHandler) -> WebhookHandler:
            if not inspect.iscoroutinefunction(handler):
                raise ConfigurationError("webhook handlers must be async functions")
            for event in events:
                self._handlers.setdefault(event, []).append(handler)
            return handler

        return register

    def webhook_router(self, path: str = "/webhooks/jumpseller") -> APIRouter:
        """An APIRouter with ``POST path``: Jumpseller's webhook URL for every store."""
        router = APIRouter()

        async def receive_webhook(request: Request) -> Response:
            # The raw bytes, before any parsing: the signature covers them exactly.
            body = await request.body()
            status, detail = await self.handle_webhook(body, request.headers)
            return JSONResponse({"status": detail}, status_code=status)

        router.add_api_route(path, receive_webhook, methods=["POST"], include_in_schema=False)
        return router

    async def handle_webhook(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        """Verify, deduplicate and dispatch one delivery; ``(HTTP status, short reason)``.

        Framework-free: any server can call it with the raw body and the request headers.
        """
        store_code = (_Headers(headers).get(STORE_CODE_HEADER) or "").strip()
        if not store_code:
            return 401, f"missing {STORE_CODE_HEADER}"
        try:
            hooks_token = await self.registry.hooks_token(store_code)
        except UnknownStoreError:
            return 401, "unknown store"
        except JumpsellerError as exc:
            # Cannot verify now (API or Redis down): a 5xx makes Jumpseller deliver again.
            logger.warning("webhook for %s: no hooks token: %s", store_code, type(exc).__name__)
            return 503, "cannot verify now"
        try:
            event = parse_event(body, headers, hooks_token)
        except WebhookSignatureError:
            return 401, "invalid signature"
        except WebhookPayloadError as exc:
            return 400, str(exc)
        if (
            event.triggered_at is not None
            and self._clock() - event.triggered_at.timestamp() > self.dedup_ttl
        ):
            # Its claim may have expired: a capture replayed this late is refused, not re-run.
            return 401, "stale delivery"
        claim = f"webhook:{event.idempotency_key}"
        try:
            fresh = await self._once.add(claim, self.dedup_ttl)
        except TokenStoreError:
            return 503, "cannot deduplicate now"
        if not fresh:
            return 200, "duplicate"
        handlers = self._handlers.get(event.event, []) + self._handlers.get("*", [])
        if not handlers:
            return 200, "ignored"
        if self.background:
            task = asyncio.create_task(self._run_background(event, handlers, claim))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return 202, "accepted"
        try:
            await asyncio.wait_for(self._run(event, handlers), self.handler_timeout)
        except asyncio.TimeoutError:
            await self._release(claim)
            logger.error(
                "webhook %s for %s: handlers overran %.0fs",
                event.event,
                store_code,
                self.handler_timeout,
            )
            return 503, "handler timed out"
        except Exception:
            await self._release(claim)
            logger.exception("webhook %s for %s: a handler failed", event.event, store_code)
            return 500, "handler failed"
        return 200, "handled"

    async def _run(self, event: WebhookEvent, handlers: list[WebhookHandler]) -> None:
        assert event.store_code is not None
        client = await self.registry.client(event.store_code)
        for handler in handlers:
            await handler(event, client)
        self.handled += 1

    async def _run_background(
        self, event: WebhookEvent, handlers: list[WebhookHandler], claim: str
    ) -> None:
        try:
            await self._run(event, handlers)
        except Exception:
            await self._release(claim)
            logger.exception("webhook %s (background): a handler failed", event.event)

    async def _release(self, claim: str) -> None:
        with contextlib.suppress(TokenStoreError):
            await self._once.pop(claim)

    # --- OAuth install ---------------------------------------------------------------------

    def _oauth_settings(self) -> tuple[str, str, str]:
        if not (self.client_id and self._client_secret and self.redirect_uri and self.scopes):
            raise ConfigurationError(
                "the install routes need client_id, client_secret, redirect_uri and scopes"
            )
        if self.registry.token_store is None:
            raise ConfigurationError("the install routes need a registry with a token_store")
        return self.client_id, self._client_secret, self.redirect_uri

    def install_router(self, prefix: str = "/jumpseller") -> APIRouter:
        """``GET {prefix}/install`` sends the merchant to Jumpseller; ``GET {prefix}/callback``
        (the app's ``redirect_uri``) checks ``state``, exchanges the code, stores the token under
        the store code that ``/store/info.json`` names, and adds the store to the registry."""
        client_id, client_secret, redirect_uri = self._oauth_settings()
        prefix = prefix.rstrip("/")
        router = APIRouter()

        async def install(request: Request) -> Response:
            url, state = authorization_url(
                client_id, redirect_uri, self.scopes, authorize_url=self.authorize_url
            )
            try:
                await self._once.add(f"state:{state}", self.state_ttl)
            except TokenStoreError as exc:
                raise HTTPException(status_code=503, detail=str(exc)) from None
            response = RedirectResponse(url, status_code=302)
            # The cookie ties the state to this browser: a callback link forged for another
            # merchant's browser carries no matching cookie.
            response.set_cookie(
                STATE_COOKIE,
                state,
                max_age=int(self.state_ttl),
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path=prefix or "/",
            )
            return response

        async def callback(request: Request) -> Response:
            params = request.query_params
            error = params.get("error")
            if error:
                raise HTTPException(status_code=400, detail=f"installation refused: {error[:100]}")
            state = params.get("state")
            code = params.get("code")
            cookie = request.cookies.get(STATE_COOKIE)
            if not state or not cookie or state != cookie:
                raise HTTPException(status_code=400, detail="state does not match")
            try:
                issued = await self._once.pop(f"state:{state}")
            except TokenStoreError as exc:
                raise HTTPException(status_code=503, detail=str(exc)) from None
            if not issued:
                raise HTTPException(status_code=400, detail="state unknown, used or expired")
            if not code:
                raise HTTPException(status_code=400, detail="missing code")
            try:
                token = await exchange_code(
                    code,
                    client_id=client_id,
                    client_secret=client_secret,
                    redirect_uri=redirect_uri,
                    token_url=self.registry.token_url,
                    transport=self.registry.client_options.get("transport"),
                )
                store_code, info = await self.registry.install(token)
            except OAuthError as exc:
                raise HTTPException(
                    status_code=400, detail=f"code exchange refused: {exc.error or exc.status_code}"
                ) from None
            except JumpsellerError as exc:
                raise HTTPException(status_code=502, detail=str(exc)) from None
            if self.on_install is not None:
                result = self.on_install(store_code, info)
                if inspect.isawaitable(result):
                    await result
            response = JSONResponse({"installed": store_code})
            response.delete_cookie(STATE_COOKIE, path=prefix or "/")
            return response

        router.add_api_route(f"{prefix}/install", install, methods=["GET"], include_in_schema=False)
        router.add_api_route(
            f"{prefix}/callback", callback, methods=["GET"], include_in_schema=False
        )
        return router


async def current_store_client(request: Request, store_code: str) -> JumpsellerClient:
    """Dependency: the client of the ``{store_code}`` path parameter's store, from the
    JumpsellerApp bound to the FastAPI app (unknown store → 404)."""
    jumpseller = getattr(request.app.state, "jumpseller", None)
    if not isinstance(jumpseller, JumpsellerApp):
        raise ConfigurationError(
            "no JumpsellerApp bound to this FastAPI app: use FastAPI(lifespan=jumpseller.lifespan)"
            " or jumpseller.bind(app)"
        )
    return await jumpseller.store_client(store_code)


StoreClient = Annotated[JumpsellerClient, Depends(current_store_client)]
"""``async def route(client: StoreClient)`` on a path with ``{store_code}``."""
