"""The rate-limit header names of the Jumpseller API, defined once (the fake server uses them too)."""

from __future__ import annotations

PER_SECOND_LIMIT = "Jumpseller-PerSecondRateLimit-Limit"
PER_SECOND_REMAINING = "Jumpseller-PerSecondRateLimit-Remaining"
PER_MINUTE_LIMIT = "Jumpseller-PerMinuteRateLimit-Limit"
PER_MINUTE_REMAINING = "Jumpseller-PerMinuteRateLimit-Remaining"
BAN_RESET = "Jumpseller-BannedByRateLimit-Reset"
RETRY_AFTER = "Retry-After"

WINDOW_HEADERS: tuple[tuple[float, str, str], ...] = (
    (1.0, PER_SECOND_LIMIT, PER_SECOND_REMAINING),
    (60.0, PER_MINUTE_LIMIT, PER_MINUTE_REMAINING),
)
"""``(window seconds, limit header, remaining header)`` for each advertised window."""

RATE_LIMIT_HEADERS: tuple[str, ...] = (
    PER_SECOND_LIMIT,
    PER_SECOND_REMAINING,
    PER_MINUTE_LIMIT,
    PER_MINUTE_REMAINING,
    BAN_RESET,
    RETRY_AFTER,
)
"""Every header that speaks of rate limits (kept on errors for diagnosis)."""
