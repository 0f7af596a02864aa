"""JumpsellerClient: wires credentials, the rate limiter, retries and logging around one httpx client."""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._auth import resolve_auth
from ._redact import install_log_redaction
from ._storage import check_storage
from ._version import __version__
from .api._namespaces import TAG_CLASSES, Namespaces
from .errors import ConfigurationError

DEFAULT_BASE_URL = "https://api.jumpseller.com/v1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_MAX_BAN_WAIT = 60.0
DEFAULT_MAX_RETRY_AFTER = 60.0


class _Default:
    """Marks an argument left at its default (so the server's advertised limits may replace it)."""

    def __repr__(self) -> str:
        return "DEFAULT"


_DEFAULT: Any = _Default()

T = TypeVar("T")

if TYPE_CHECKING:
    from ._clock import Clock
    from ._operation import Operation
    from ._pagination import AfterIdIterator, AfterOperation, ListOperation, Paginator
    from ._ratelimit import Limiter

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
        rate_limit_key: str | None = None,
        rate_limit_storage: str | Any | None = None,
        max_wait: float | None = None,
        max_retries: int = 3,
        max_ban_wait: float = DEFAULT_MAX_BAN_WAIT,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        timeout: float | httpx.Timeout | None = _DEFAULT,
        total_timeout: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_post: bool = False,
        limiter: Limiter | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Credentials, then how to share and spend the store's rate budget, then deadlines.

        ``rate_limit_key`` names the store whose budget this client spends (default: the
        base URL's host and the login; pass the store code for OAuth clients); every client
        with the same key in a process shares one limiter. ``rate_limit_storage`` (a
        ``redis://`` URL or a ``redis.asyncio.Redis``) shares it across processes and
        machines. ``max_wait`` bounds the wait for a slot (``RateLimitWaitError``, nothing
        sent). ``timeout`` bounds each attempt in total; ``total_timeout`` the whole call.
        """
        # The sending machinery (and asyncio under it) loads with the first client, not with the
        # package, which every submodule (webhooks, oauth, the CLI) imports first.
        from ._clock import SYSTEM_CLOCK
        from ._limiter_registry import rate_limit_key as rate_limit_key_for
        from ._ratelimit import validate_limits
        from ._retry import RetryPolicy
        from ._send import Sender

        if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
            raise ConfigurationError(
                f"max_retries must be a non-negative integer, got {max_retries!r}"
            )
        for name, value in (("max_ban_wait", max_ban_wait), ("max_retry_after", max_retry_after)):
            if not _is_seconds(value):
                raise ConfigurationError(
                    f"{name} must be a non-negative number of seconds, got {value!r}"
                )
        for name, optional in (("max_wait", max_wait), ("total_timeout", total_timeout)):
            if optional is not None and not _is_seconds(optional):
                raise ConfigurationError(
                    f"{name} must be None or a non-negative number of seconds, got {optional!r}"
                )
        if timeout is None:
            raise ConfigurationError("timeout=None would wait forever; pass a number of seconds")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"base_url must be an http(s) URL, got {base_url!r}")
        if rate_limit_key is not None and (
            not isinstance(rate_limit_key, str) or not rate_limit_key
        ):
            raise ConfigurationError(
                f"rate_limit_key must be a non-empty string, got {rate_limit_key!r}"
            )
        # Passing auth objects with login/authtoken would silently ignore one of them.
        auth_login, auth_token = (login, authtoken) if isinstance(auth, str) else (None, None)
        if not isinstance(auth, str) and (login is not None or authtoken is not None):
            raise ConfigurationError("pass either login/authtoken or an auth object, not both")
        self._auth = resolve_auth(auth, auth_login, auth_token)
        if limiter is not None:
            if clock is not None and clock is not limiter.clock:
                raise ConfigurationError(
                    "clock and limiter.clock differ: a ban or a wait would be timed on one "
                    "and slept on the other; pass only the limiter"
                )
            # The limiter's clock is the client's: waits and bans agree on what a second is.
            clock = limiter.clock
        self._clock: Clock = clock or SYSTEM_CLOCK
        self.base_url = base_url.rstrip("/")
        self._limiter: Limiter | None = limiter
        if rate_limits is not None and rate_limits is not _DEFAULT:
            rate_limits = validate_limits(rate_limits)
        self._rate_limits = rate_limits
        self._rate_limit_key = rate_limit_key_for(self.base_url, self._auth, rate_limit_key)
        self._rate_limit_storage = check_storage(rate_limit_storage)
        http_timeout = DEFAULT_TIMEOUT if timeout is _DEFAULT else timeout
        attempt_budget = _attempt_budget(http_timeout)
        # A request counts as in flight in Redis at most this long should its process die.
        self._lease = min(attempt_budget, 600.0) + 10.0
        install_log_redaction()
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=self._auth,
            timeout=http_timeout,
            transport=transport,
            headers={"User-Agent": f"jumpseller-async/{__version__}", "Accept": "application/json"},
        )
        self._sender = Sender(
            http=self._http,
            limiter=lambda: self.limiter,
            clock=self._clock,
            policy=RetryPolicy(
                max_retries=max_retries,
                retry_post=retry_post,
                max_ban_wait=float(max_ban_wait),
                max_retry_after=float(max_retry_after),
            ),
            attempt_timeout=attempt_budget,
            max_wait=max_wait,
            total_timeout=total_timeout,
            base_url=self.base_url,
        )
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

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *TAG_CLASSES})

    def __repr__(self) -> str:
        limits = self._limiter.limits if self._limiter is not None else self._rate_limits
        return (
            f"JumpsellerClient(base_url={self.base_url!r}, auth={self._auth!r}, limits={limits!r})"
        )

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
    def limiter(self) -> Limiter:
        """This store's limiter, shared with every client of the store (see ``rate_limit_key``)."""
        if self._limiter is None:
            self._limiter = self._make_limiter()
        return self._limiter

    @property
    def rate_limit_key(self) -> str:
        """The store whose rate budget this client spends."""
        return self._rate_limit_key

    def _make_limiter(self) -> Limiter:
        from ._limiter_registry import shared_limiter
        from ._ratelimit import DEFAULT_LIMITS, RateLimiter

        clock = self._clock
        if self._rate_limits is None:
            return RateLimiter(None, clock=clock)
        explicit = self._rate_limits is not _DEFAULT
        limits = self._rate_limits if explicit else DEFAULT_LIMITS
        storage = self._rate_limit_storage
        # The documented limits hold on every Jumpseller server; limits a caller states may be
        # a guess, so those are probed until a header or an accepted request confirms them.
        # Either way a refusal without headers lowers the limit it most plausibly came from.
        probe = explicit
        if storage is None:
            shared: Limiter = shared_limiter(
                ("memory", self._rate_limit_key, clock),
                lambda: RateLimiter(
                    limits, explicit=explicit, clock=clock, learn=probe, scout=True
                ),
            )
        else:
            from ._redis_limiter import RedisRateLimiter, storage_identity

            shared = shared_limiter(
                ("redis", self._rate_limit_key, clock, storage_identity(storage)),
                lambda: RedisRateLimiter(
                    storage,
                    self._rate_limit_key,
                    limits,
                    explicit=explicit,
                    clock=clock,
                    learn=probe,
                    lease=self._lease,
                ),
            )
        if explicit:
            # Two clients of one store with different explicit limits: the stricter holds.
            shared.tighten(limits)
        return shared

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

    async def _send_operation(
        self, operation: Operation, request_kwargs: dict[str, Any]
    ) -> httpx.Response:
        """Send with the limiter, retries and ban handling; the answer of the last attempt."""
        return await self._sender.send(operation, request_kwargs)


def _is_seconds(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _attempt_budget(timeout: float | httpx.Timeout) -> float:
    """One attempt's total deadline: the timeout, or the largest part of an httpx.Timeout."""
    if isinstance(timeout, httpx.Timeout):
        parts = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t]
        return max(parts) if parts else math.inf
    return float(timeout)
