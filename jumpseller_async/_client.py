"""JumpsellerClient: wires credentials, the rate limiter, retries and logging around one httpx client."""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._auth import install_log_redaction, redact_url, resolve_auth
from ._operation import Operation, is_rate_limit_answer
from ._ratelimit import DEFAULT_LIMITS, Clock, RateLimiter, SystemClock
from ._retry import RetryPolicy, parse_ban_reset, parse_retry_after
from ._version import __version__
from .api._namespaces import Namespaces
from .errors import APIConnectionError, APITimeoutError, ConfigurationError, RateLimitError

DEFAULT_BASE_URL = "https://api.jumpseller.com/v1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_MAX_BAN_WAIT = 60.0

logger = logging.getLogger("jumpseller_async")


class _Default:
    """Marks an argument left at its default (so the server's advertised limits may replace it)."""

    def __repr__(self) -> str:
        return "DEFAULT"


_DEFAULT: Any = _Default()

T = TypeVar("T")

if TYPE_CHECKING:
    from ._pagination import AfterIdIterator, AfterOperation, ListOperation, Paginator

    # Type checkers see one typed attribute per API tag; at run time they come from the composed
    # Namespaces (__getattr__ below), whose tag modules load on first use.
    from .api._namespaces import NamespaceAttributes as _TagAttributes
else:
    _TagAttributes = object


class JumpsellerClient(_TagAttributes):
    """One store's API: ``async with JumpsellerClient(login, authtoken) as client: ...``.

    It is the ``client=`` every operation in :mod:`jumpseller_async.api` takes, and each API tag is
    a typed attribute on it (``await client.products.get_products_id_json(id=5)``), served by a
    composed :class:`~jumpseller_async.api._namespaces.Namespaces`.
    """

    def __init__(
        self,
        login: str | None = None,
        authtoken: str | None = None,
        *,
        auth: str | httpx.Auth = "basic",
        base_url: str = DEFAULT_BASE_URL,
        rate_limits: Sequence[tuple[int, float]] | None = _DEFAULT,
        max_retries: int = 3,
        max_ban_wait: float = DEFAULT_MAX_BAN_WAIT,
        timeout: float | httpx.Timeout | None = _DEFAULT,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_post: bool = False,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
            raise ConfigurationError(
                f"max_retries must be a non-negative integer, got {max_retries!r}"
            )
        if not isinstance(max_ban_wait, (int, float)) or max_ban_wait < 0:
            raise ConfigurationError(
                f"max_ban_wait must be a non-negative number of seconds, got {max_ban_wait!r}"
            )
        if timeout is None:
            raise ConfigurationError("timeout=None would wait forever; pass a number of seconds")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"base_url must be an http(s) URL, got {base_url!r}")
        # Passing auth objects with login/authtoken would silently ignore one of them.
        auth_login, auth_token = (login, authtoken) if isinstance(auth, str) else (None, None)
        if not isinstance(auth, str) and (login is not None or authtoken is not None):
            raise ConfigurationError("pass either login/authtoken or an auth object, not both")
        self._auth = resolve_auth(auth, auth_login, auth_token)
        self._clock: Clock = clock or SystemClock()
        if limiter is not None:
            self._limiter = limiter
        elif rate_limits is _DEFAULT:
            self._limiter = RateLimiter(DEFAULT_LIMITS, explicit=False, clock=self._clock)
        else:
            self._limiter = RateLimiter(rate_limits, explicit=True, clock=self._clock)
        self._retry = RetryPolicy(max_retries=max_retries, retry_post=retry_post)
        self._max_ban_wait = float(max_ban_wait)
        self._banned_until: dt.datetime | None = None
        self._ban_deadline = 0.0
        self._rng = random.Random()
        install_log_redaction()
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            auth=self._auth,
            timeout=DEFAULT_TIMEOUT if timeout is _DEFAULT else timeout,
            transport=transport,
            headers={"User-Agent": f"jumpseller-async/{__version__}", "Accept": "application/json"},
        )
        self.base_url = base_url.rstrip("/")
        self._namespaces = Namespaces(self)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # Only reached for names the class does not define: the API tags.
            namespaces = self.__dict__.get("_namespaces")
            if namespaces is None or name.startswith("_"):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            namespace = namespaces.get(name)
            self.__dict__[name] = namespace  # later lookups skip __getattr__
            return namespace

    def __repr__(self) -> str:
        return f"JumpsellerClient(base_url={self.base_url!r}, auth={self._auth!r}, limits={self._limiter.limits!r})"

    # --- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> JumpsellerClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections (``async with`` does it on exit)."""
        await self._http.aclose()

    @property
    def limiter(self) -> RateLimiter:
        """The rate limiter this client sends through."""
        return self._limiter

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying httpx client (for requests the API spec does not describe)."""
        return self._http

    # --- pagination ------------------------------------------------------------------------

    def paginate(
        self,
        operation: ListOperation[T],
        *,
        limit: int = 100,
        concurrency: int = 8,
        use_count: bool = True,
        start_page: int = 1,
        known_total: int | None = None,
        **params: Any,
    ) -> Paginator[T]:
        """Every item of a list operation: ``async for p in client.paginate(get_products_json)``.

        ``operation`` is the operation's module or its ``asyncio`` function; the items are typed
        as the operation's list items (``Product | None``: the API may send null items).
        ``known_total`` skips the count request when the caller already has the total.
        """
        from ._pagination import Paginator  # loaded on first use

        return Paginator(
            self,
            operation,
            params,
            limit=limit,
            concurrency=concurrency,
            use_count=use_count,
            start_page=start_page,
            known_total=known_total,
        )

    def paginate_after(
        self, operation: AfterOperation[T], *, after_id: int = 0, **params: Any
    ) -> AfterIdIterator[T]:
        """Items after an id via ``…/after/{id}.json``; stays correct while the store changes."""
        from ._pagination import AfterIdIterator  # loaded on first use

        return AfterIdIterator(self, operation, params, after_id=after_id)

    # --- sending ---------------------------------------------------------------------------

    async def _wait_out_ban(self, operation: Operation) -> None:
        """Sleep through a ban that ends within max_ban_wait; raise for a longer one."""
        if self._banned_until is None:
            return
        remaining = self._ban_deadline - self._clock.monotonic()
        if remaining <= 0:
            self._banned_until = None
            return
        if remaining <= self._max_ban_wait:
            logger.info("%s waits %.1fs for the rate-limit ban to end", operation.tool, remaining)
            await self._clock.sleep(remaining)
            return
        raise RateLimitError(
            f"{operation.tool}: the store has banned this client for rate limiting until "
            f"{self._banned_until.isoformat()} ({remaining:.0f}s, more than max_ban_wait="
            f"{self._max_ban_wait:.0f}s); nothing was sent",
            banned_until=self._banned_until,
            status_code=429,
            method=operation.method,
            url=self.base_url + operation.path,
            operation=operation.tool,
        )

    def _learn_ban(self, response: httpx.Response) -> bool:
        until = parse_ban_reset(response.headers)
        if until is None:
            return False
        seconds = (until - dt.datetime.now(dt.timezone.utc)).total_seconds()
        if seconds <= 0:
            return False
        self._banned_until = until
        self._ban_deadline = self._clock.monotonic() + seconds
        self._limiter.pause_until(self._ban_deadline)
        logger.warning("rate-limit ban until %s (%.0fs)", until.isoformat(), seconds)
        return True

    async def _send_operation(
        self, operation: Operation, request_kwargs: dict[str, Any]
    ) -> httpx.Response:
        """Send with the limiter, retries and ban handling; the answer of the last attempt."""
        attempt = 0
        while True:
            await self._wait_out_ban(operation)
            wait_started = self._clock.monotonic()
            error: Exception | None = None
            response: httpx.Response | None = None
            async with self._limiter.slot() as slot:
                waited = self._clock.monotonic() - wait_started
                started = time.perf_counter()
                try:
                    response = await self._http.request(**request_kwargs)
                except httpx.HTTPError as exc:
                    # Transport failures may be retried; the rest (a body that cannot be
                    # decoded, too many redirects) are wrapped the same way, never retried.
                    error = exc
                else:
                    slot.observe(response.headers)
            elapsed = time.perf_counter() - started
            if error is not None:
                url = redact_url(
                    httpx.URL(
                        self.base_url + request_kwargs["url"], params=request_kwargs.get("params")
                    )
                )
                logger.info(
                    "%s %s failed after %.3fs: %s (attempt %d, waited %.3fs for the limiter)",
                    operation.method,
                    url,
                    elapsed,
                    type(error).__name__,
                    attempt + 1,
                    waited,
                )
                if attempt < self._retry.max_retries and self._retry.may_resend_after_error(
                    operation.method, error
                ):
                    await self._clock.sleep(self._retry.backoff(attempt, self._rng))
                    attempt += 1
                    continue
                wrapper = (
                    APITimeoutError
                    if isinstance(error, httpx.TimeoutException)
                    else APIConnectionError
                )
                raise wrapper(
                    f"{operation.tool}: {operation.method} {url} got no answer ({type(error).__name__}"
                    f"{'' if attempt == 0 else f' after {attempt} retries'})",
                    method=operation.method,
                    url=url,
                ) from None
            assert response is not None
            logger.debug(
                "%s %s -> %d in %.3fs (attempt %d, waited %.3fs for the limiter)",
                operation.method,
                redact_url(response.request.url),
                response.status_code,
                elapsed,
                attempt + 1,
                waited,
            )
            if is_rate_limit_answer(response.status_code, response.content):
                retry_after = parse_retry_after(response.headers)
                banned = self._learn_ban(response)
                if not banned:
                    self._limiter.on_rate_limited(retry_after, response.headers)
                if attempt < self._retry.max_retries:
                    attempt += 1
                    if banned:
                        continue  # _wait_out_ban sleeps through it or raises
                    logger.info(
                        "%s rate limited (HTTP %d); retrying", operation.tool, response.status_code
                    )
                    if retry_after is not None:
                        await self._clock.sleep(retry_after)
                    continue
                return response
            if attempt < self._retry.max_retries and self._retry.may_resend_after_status(
                operation.method, response.status_code
            ):
                logger.info("%s HTTP %d; retrying", operation.tool, response.status_code)
                await self._clock.sleep(self._retry.backoff(attempt, self._rng))
                attempt += 1
                continue
            return response
