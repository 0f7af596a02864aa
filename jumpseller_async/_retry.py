"""When to send a request again, and how long to wait first: every retry decision, in one place.

The rule that matters most: a POST that may have reached the server is never sent again unless
the caller opted in, because a duplicated order is worse than an error. What is always safe to
repeat: a request refused before it was processed (rate limited), or one that never left (the
connection could not be opened). What the server asks us to wait (``Retry-After``, a ban) is
honoured up to a cap; past it the call stops with the server's figure instead of hanging.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from ._headers import BAN_RESET, RETRY_AFTER

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({502, 503, 504})
BAN_HEADER = BAN_RESET

# Raised before a single byte of the request went out: safe to retry for any method.
_NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt came to, as far as retrying is concerned."""

    method: str
    error: Exception | None = None
    """The transport failure, when there was no answer."""
    status_code: int | None = None
    rate_limited: bool = False
    """A 429, or a 403 "Rate Limit Exceeded": refused before it was processed."""
    retry_after: float | None = None
    """The server's ``Retry-After``, in seconds."""
    ban_seconds: float | None = None
    """Seconds left of a rate-limit ban the answer announced."""


@dataclass(frozen=True, slots=True)
class Decision:
    """Send again after ``delay`` seconds, or stop (``retry`` false) for ``reason``."""

    retry: bool
    delay: float = 0.0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; ``max_retries`` counts re-sends."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    retry_post: bool = False
    max_ban_wait: float = 60.0
    max_retry_after: float = 60.0

    def decide(self, attempt: Attempt, retries: int, rng: random.Random | None = None) -> Decision:
        """Whether to send again after ``attempt`` (``retries`` re-sends done so far), and when.

        Waits the server imposed (bans, ``Retry-After``) are not slept here: the limiter is
        paused for them, so every request to the store waits, not only this one.
        """
        if attempt.rate_limited:
            if attempt.ban_seconds is not None and attempt.ban_seconds > self.max_ban_wait:
                return Decision(False, reason=f"banned for {attempt.ban_seconds:.0f}s")
            if attempt.retry_after is not None and attempt.retry_after > self.max_retry_after:
                return Decision(False, reason=f"Retry-After {attempt.retry_after:g}s")
            if retries >= self.max_retries:
                return Decision(False, reason="rate limited after every retry")
            return Decision(True, reason="rate limited")
        if retries >= self.max_retries:
            return Decision(False, reason="retries exhausted")
        if attempt.error is not None:
            if self.may_resend_after_error(attempt.method, attempt.error):
                return Decision(True, self.backoff(retries, rng), type(attempt.error).__name__)
            return Decision(False, reason="may have reached the server")
        if attempt.status_code is not None and self.may_resend_after_status(
            attempt.method, attempt.status_code
        ):
            return Decision(True, self.backoff(retries, rng), f"HTTP {attempt.status_code}")
        return Decision(False, reason="final answer")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before re-send number ``attempt`` (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return (rng or random).uniform(ceiling / 2, ceiling)

    def may_resend_after_error(self, method: str, error: Exception) -> bool:
        if isinstance(error, _NOT_SENT_ERRORS):
            return True
        if not isinstance(error, httpx.TransportError):
            return False
        return method.upper() in IDEMPOTENT_METHODS or self.retry_post

    def may_resend_after_status(self, method: str, status_code: int) -> bool:
        if status_code not in RETRYABLE_STATUSES:
            return False
        return method.upper() in IDEMPOTENT_METHODS or self.retry_post


def parse_retry_after(headers: Mapping[str, str], now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (it may be a number or an HTTP date); None if absent or bad."""
    value = headers.get(RETRY_AFTER)
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = (when - (now or dt.datetime.now(dt.timezone.utc))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    # inf and 1e9 stay what they are: the policy compares them with its cap.
    return max(0.0, seconds)


def parse_ban_reset(headers: Mapping[str, str]) -> dt.datetime | None:
    """The end of a rate-limit ban (``2024-05-23T16:13:47+00:00``), or None if not banned."""
    value = headers.get(BAN_HEADER)
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace(" UTC", "+00:00")
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when
