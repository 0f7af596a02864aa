"""The fake store that ``sim`` serves and ``demo`` exports: its options and how it is built."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import UsageError


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """The fake store's size, limits and latency."""
    parser.add_argument("--seed", type=int, default=1, help="seed of the fake store's data")
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument(
        "--limits", default="8/1,240/60", help="COUNT/SECONDS windows (default 8/1,240/60)"
    )
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every answer")
    parser.add_argument("--reject-status", type=int, choices=(429, 403), default=429)


def parse_limits(text: str) -> list[tuple[int, float]]:
    """``8/1,240/60`` → [(8, 1.0), (240, 60.0)]."""
    limits = []
    for part in text.split(","):
        count, _, window = part.partition("/")
        try:
            limits.append((int(count), float(window)))
        except ValueError:
            raise UsageError(f"--limits: {part!r} is not COUNT/SECONDS (e.g. 8/1,240/60)") from None
    return limits


def build_fake(args: argparse.Namespace, **overrides: Any) -> Any:
    """A FakeJumpseller from the store options (uvicorn and the fake load only here)."""
    try:
        from ..testing import FakeJumpseller
    except ImportError as exc:
        raise UsageError(
            f"the fake Jumpseller needs the cli extra: pip install 'jumpseller-async[cli]' ({exc})"
        ) from None
    settings: dict[str, Any] = {
        "seed": args.seed,
        "products": args.products,
        "customers": args.customers,
        "orders": args.orders,
        "limits": parse_limits(args.limits),
        "latency": args.latency,
        "reject_status": args.reject_status,
    }
    settings.update(overrides)
    return FakeJumpseller(**settings)
