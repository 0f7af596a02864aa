"""Sending one operation: a limiter slot, an attempt with a deadline, bans, and the retry loop.

Every decision to send again is :meth:`RetryPolicy.decide`'s; this module only carries it out.
Deadlines: each attempt ends within the client's attempt timeout *in total* (httpx times each
read, so a server trickling a byte at a time would otherwise hold a call for ever), and with
``total_timeout`` the whole call (limiter waits, retries, waits the server imposes) ends by then.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx

from ._clock import Clock
from ._operation import Operation, is_rate_limit_answer
from ._ratelimit import Limiter, SlotWaitExceeded
from ._redact import get_logger, redact_url
from ._retry import Attempt, Decision, RetryPolicy, parse_ban_reset, parse_retry_after
from .errors import APIConnectionError, APITimeoutError, RateLimitError, RateLimitWaitError

logger = get_logger()

_timeout: Callable[[float], AbstractAsyncContextManager[None]] | None = getattr(
    asyncio, "timeout", None
)


class Sender:
    """Sends the requests of one client through its store's limiter, retrying per the policy."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        limiter: Callable[[], Limiter],
        clock: Clock,
        policy: RetryPolicy,
        attempt_timeout: float,
        max_wait: float | None,
        total_timeout: float | None,
        base_url: str,
    ) -> None:
        self._http = http
        self._limiter = limiter
        self._clock = clock
        self._policy = policy
        self._attempt_timeout = attempt_timeout
        self._max_wait = max_wait
        self._total_timeout = total_timeout
        self._base_url = base_url
        self._rng = random.Random()

    async def send(self, operation: Operation, request_kwargs: dict[str, Any]) -> httpx.Response:
        """The answer of the last attempt; typed errors when there is none to give."""
        clock = self._clock
        limiter = self._limiter()
        deadline = (
            clock.monotonic() + self._total_timeout if self._total_timeout is not None else math.inf
        )
        retries = 0
        while True:
            self._refuse_while_banned(limiter, operation)
            budget = deadline - clock.monotonic()
            if budget <= 0:
                raise self._out_of_time(operation, request_kwargs, retries)
            max_wait = self._max_wait
            if math.isfinite(budget) and (max_wait is None or budget < max_wait):
                max_wait = budget
            response: httpx.Response | None = None
            error: Exception | None = None
            attempt: Attempt
            try:
                async with limiter.slot(max_wait) as slot:
                    started = time.perf_counter()
                    try:
                        response = await self._attempt(
                            request_kwargs, min(self._attempt_timeout, deadline - clock.monotonic())
                        )
                    except httpx.HTTPError as exc:
                        # Transport failures may be retried; the rest (a body that cannot be
                        # decoded, too many redirects) are wrapped the same way, never retried.
                        error = exc
                    if response is None:
                        attempt = Attempt(operation.method, error=error)
                    else:
                        attempt = self._read_answer(operation, response, limiter)
                        await slot.feedback(response.headers, refused=attempt.rate_limited)
            except SlotWaitExceeded as exc:
                if deadline - clock.monotonic() <= 0:
                    raise self._out_of_time(operation, request_kwargs, retries) from None
                raise self._wait_error(operation, exc) from None
            elapsed = time.perf_counter() - started
            self._log_attempt(operation, request_kwargs, response, error, elapsed, retries, slot)
            decision = self._policy.decide(attempt, retries, self._rng)
            if decision.retry and clock.monotonic() + decision.delay >= deadline:
                decision = Decision(False, reason="total_timeout")
            if not decision.retry:
                if error is not None:
                    raise self._no_answer(operation, request_kwargs, error, retries)
                assert response is not None
                return response
            if response is not None:
                logger.info(
                    "%s %s; retrying",
                    operation.tool,
                    f"rate limited (HTTP {response.status_code})"
                    if attempt.rate_limited
                    else f"HTTP {response.status_code}",
                )
            if decision.delay > 0:
                await clock.sleep(decision.delay)
            retries += 1

    async def _attempt(self, request_kwargs: dict[str, Any], budget: float) -> httpx.Response:
        if budget <= 0:
            raise httpx.TimeoutException("no time left for another attempt")
        if math.isinf(budget):
            return await self._http.request(**request_kwargs)
        try:
            if _timeout is not None:  # 3.11+: no extra task per request
                async with _timeout(budget):
                    return await self._http.request(**request_kwargs)
            return await asyncio.wait_for(self._http.request(**request_kwargs), budget)
        except asyncio.TimeoutError:
            raise httpx.ReadTimeout(f"the attempt took more than {budget:.3g}s in all") from None

    def _read_answer(
        self, operation: Operation, response: httpx.Response, limiter: Limiter
    ) -> Attempt:
        """What the answer says about retrying; bans and ``Retry-After`` pause the store."""
        rate_limited = is_rate_limit_answer(response.status_code, response.content)
        if not rate_limited:
            return Attempt(operation.method, status_code=response.status_code)
        retry_after = parse_retry_after(response.headers)
        ban_seconds = None
        until = parse_ban_reset(response.headers)
        now = self._clock.monotonic()
        if until is not None:
            seconds = (until - dt.datetime.now(dt.timezone.utc)).total_seconds()
            if until.microsecond == 0:
                # Whole seconds (as Jumpseller sends it): the ban may end anywhere in that
                # second, and a request sent at its start is refused and earns another ban.
                seconds += 1.0
            if seconds > 0:
                ban_seconds = seconds
                # Never block the store longer than we would wait: past the cap the call
                # stops, and the next one refuses at once from `banned_until`.
                limiter.pause_until(
                    now + min(seconds, self._policy.max_ban_wait + 1.0), banned_until=until
                )
                logger.warning("rate-limit ban until %s (%.0fs)", until.isoformat(), seconds)
        if ban_seconds is None and retry_after is not None and retry_after > 0:
            limiter.pause_until(now + min(retry_after, self._policy.max_retry_after))
        return Attempt(
            operation.method,
            status_code=response.status_code,
            rate_limited=True,
            retry_after=retry_after,
            ban_seconds=ban_seconds,
        )

    def _refuse_while_banned(self, limiter: Limiter, operation: Operation) -> None:
        """Raise at once, sending nothing, during a known ban longer than ``max_ban_wait``."""
        until = limiter.banned_until
        if until is None:
            return
        remaining = (until - dt.datetime.now(dt.timezone.utc)).total_seconds()
        if remaining <= 0:
            limiter.banned_until = None
            return
        if remaining <= self._policy.max_ban_wait:
            return  # the paused limiter waits it out
        raise RateLimitError(
            f"{operation.tool}: the store has banned this client for rate limiting until "
            f"{until.isoformat()} ({remaining:.0f}s, more than max_ban_wait="
            f"{self._policy.max_ban_wait:.0f}s); nothing was sent",
            banned_until=until,
            status_code=429,
            method=operation.method,
            url=self._base_url + operation.path,
            operation=operation.tool,
        )

    def _wait_error(self, operation: Operation, exc: SlotWaitExceeded) -> RateLimitWaitError:
        needed = "" if exc.needed is None else f" (the store is paused for {exc.needed:.1f}s)"
        return RateLimitWaitError(
            f"{operation.tool}: no rate-limit slot within max_wait={self._max_wait}s"
            f"{needed}; nothing was sent",
            banned_until=exc.banned_until,
            retry_after=exc.needed,
            status_code=429,
            method=operation.method,
            url=self._base_url + operation.path,
            operation=operation.tool,
        )

    def _url(self, request_kwargs: dict[str, Any]) -> str:
        return redact_url(
            httpx.URL(self._base_url + request_kwargs["url"], params=request_kwargs.get("params"))
        )

    def _out_of_time(
        self, operation: Operation, request_kwargs: dict[str, Any], retries: int
    ) -> APITimeoutError:
        url = self._url(request_kwargs)
        return APITimeoutError(
            f"{operation.tool}: {operation.method} {url} got no answer within "
            f"total_timeout={self._total_timeout}s"
            f"{'' if retries == 0 else f' ({retries} retries)'}",
            method=operation.method,
            url=url,
        )

    def _no_answer(
        self, operation: Operation, request_kwargs: dict[str, Any], error: Exception, retries: int
    ) -> APIConnectionError:
        url = self._url(request_kwargs)
        wrapper = (
            APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
        )
        return wrapper(
            f"{operation.tool}: {operation.method} {url} got no answer ({type(error).__name__}"
            f"{'' if retries == 0 else f' after {retries} retries'})",
            method=operation.method,
            url=url,
        )

    def _log_attempt(
        self,
        operation: Operation,
        request_kwargs: dict[str, Any],
        response: httpx.Response | None,
        error: Exception | None,
        elapsed: float,
        retries: int,
        slot: Any,
    ) -> None:
        if response is not None:
            logger.debug(
                "%s %s -> %d in %.3fs (attempt %d, waited %.3fs for the limiter)",
                operation.method,
                redact_url(response.request.url),
                response.status_code,
                elapsed,
                retries + 1,
                slot.waited,
            )
        else:
            logger.info(
                "%s %s failed after %.3fs: %s (attempt %d, waited %.3fs for the limiter)",
                operation.method,
                self._url(request_kwargs),
                elapsed,
                type(error).__name__,
                retries + 1,
                slot.waited,
            )
