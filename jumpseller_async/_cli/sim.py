"""``jumpseller-async sim``: the fake Jumpseller served under uvicorn until Ctrl-C."""

from __future__ import annotations

import argparse
import sys

from ._fakestore import add_store_options, build_fake


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Where to listen and the fake store's options."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    add_store_options(parser)


def run(args: argparse.Namespace) -> int:
    """Serves the fake store; its credentials go to stderr."""
    fake = build_fake(args)
    print(
        f"fake Jumpseller on http://{args.host}:{args.port}/v1 — login {fake.login!r}, "
        f"authtoken {fake.authtoken!r}; Ctrl-C stops it",
        file=sys.stderr,
    )
    fake.serve(host=args.host, port=args.port)
    return 0
