"""Request/response types and the tiny router shared by the routes and the ASGI app."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ._store import Store

__all__ = ["HTTPError", "Handler", "Request", "Response", "Router"]


@dataclass
class Request:
    method: str
    path: str
    """Decoded path without the ``/v1`` prefix."""
    params: dict[str, str]
    query: Mapping[str, Sequence[str]]
    body: Any
    store: Store
    create_status: int = 200
    default_limit: int = 50
    max_limit: int = 100

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    raw: bytes | None = None
    content_type: str = "application/json; charset=utf-8"

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        # allow_nan=False: an answer is JSON or a failure, never NaN/Infinity posing as JSON.
        return json.dumps(
            self.body, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode()


class HTTPError(Exception):
    """Raised by handlers to answer with an error body."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body if body is not None else {"message": message}


Handler = Callable[[Request], Response]

_PARAM = re.compile(r"\{([a-z_]+)\}")


class _Route:
    __slots__ = ("handler", "method", "n_params", "segments", "template")

    def __init__(self, method: str, template: str, handler: Handler) -> None:
        self.method = method
        self.template = template
        self.handler = handler
        parts = template.strip("/").split("/")
        self.segments = [_segment_pattern(part) if "{" in part else part for part in parts]
        self.n_params = len(_PARAM.findall(template))

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        if len(segments) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for pattern, segment in zip(self.segments, segments, strict=True):
            if isinstance(pattern, str):
                if pattern != segment:
                    return None
                continue
            found = pattern.match(segment)
            if found is None:
                return None
            params.update(found.groupdict())
        return params


def _segment_pattern(part: str) -> re.Pattern[str]:
    # re.split with one group alternates literal text (even positions) and names (odd).
    pieces = _PARAM.split(part)
    regex = "".join(
        f"(?P<{piece}>.+?)" if i % 2 else re.escape(piece) for i, piece in enumerate(pieces)
    )
    return re.compile(regex + r"\Z")


class Router:
    """Matches decoded path segments against ``{param}`` templates.

    Literal segments beat parameters: templates are tried with the fewest parameters
    first, so ``/products/count.json`` never reaches ``/products/{id}.json``.
    """

    def __init__(self, routes: Sequence[tuple[str, str, Handler]]) -> None:
        self.routes = [_Route(m, t, h) for m, t, h in routes]
        self._by_length: dict[int, list[_Route]] = {}
        for route in sorted(self.routes, key=lambda r: r.n_params):
            self._by_length.setdefault(len(route.segments), []).append(route)

    def table(self) -> list[tuple[str, str]]:
        return [(r.method, r.template) for r in self.routes]

    def match(self, method: str, raw_path: str) -> tuple[Handler, dict[str, str]] | bool | None:
        """``(handler, params)``; ``False`` if the path exists with other methods; else None."""
        # Split before decoding so an encoded "/" inside a parameter stays in it.
        segments = [unquote(s) for s in raw_path.strip("/").split("/")]
        path_known = False
        for route in self._by_length.get(len(segments), ()):
            params = route.match(segments)
            if params is None:
                continue
            if route.method == method:
                return route.handler, params
            path_known = True
        return False if path_known else None
