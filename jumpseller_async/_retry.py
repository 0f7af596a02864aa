"""When to send a request again, and how long to wait first.

The rule that matters most: a POST that may have reached the server is never sent again unless
the caller opted in, because a duplicated order is worse than an error. What is always safe to
repeat: a request refused before it was processed (rate limited), or one that never left (the
connection could not be opened).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from collections.abc import Mapping

import attrs
import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({502, 503, 504})
BAN_HEADER = "Jumpseller-BannedByRateLimit-Reset"

# Raised before a single byte of the request went out: safe to retry for any method.
_NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


@attrs.frozen
class RetryPolicy:
    """Exponential backoff with full jitter, capped; ``max_retries`` counts re-sends."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    retry_post: bool = False

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
    value = headers.get("Retry-After")
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
