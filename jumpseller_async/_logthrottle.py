"""A log line that repeats at most once per interval, counting what it held back.

Refusals and "another consumer" notices matter at WARNING, but 600 of them in a run must not
flood a log: the first is written at once, the rest at most every ``every`` seconds with the
number held back since.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from ._clock import Clock


class ThrottledLog:
    """``log(msg, *args)`` at ``level``, each message at most once per ``every`` seconds."""

    def __init__(self, logger: logging.Logger, level: int, *, every: float, clock: Clock) -> None:
        self._logger = logger
        self._level = level
        self._every = every
        self._clock = clock
        # Per message template: one kind of notice must not silence another.
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def log(self, message: str, *args: Any) -> None:
        now = self._clock.monotonic()
        if now - self._last.get(message, -math.inf) < self._every:
            self._held[message] = self._held.get(message, 0) + 1
            return
        held = self._held.pop(message, 0)
        self._last[message] = now
        if held:
            message += " (%d similar messages held back)"
            args = (*args, held)
        self._logger.log(self._level, message, *args)
