"""A client on httpx.MockTransport that plays scripted answers on a FakeClock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from jumpseller_async import JumpsellerClient
from jumpseller_async.testing import FakeClock

TOKEN = "secret-token-abcdef0123456789"


class Script:
    """A MockTransport handler that plays answers in order and records what was sent when."""

    def __init__(self, clock: FakeClock, *answers: httpx.Response | Exception) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.sent: list[tuple[float, httpx.Request]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((self.clock.monotonic(), request))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def ok_product() -> httpx.Response:
    return httpx.Response(200, json={"product": {"id": 5}})


def make(clock: FakeClock, script: Script, **kwargs: Any) -> JumpsellerClient:
    kwargs.setdefault("rate_limits", None)
    return JumpsellerClient(
        "store", TOKEN, transport=httpx.MockTransport(script), clock=clock, **kwargs
    )


def ban_header(seconds: float) -> dict[str, str]:
    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return {"Jumpseller-BannedByRateLimit-Reset": until.replace(microsecond=0).isoformat()}
