"""What every command shares: connection and budget options, credentials, one-line errors."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from .._client import DEFAULT_BASE_URL, JumpsellerClient
from ..errors import APIConnectionError, APIError, ConfigurationError, JumpsellerError

EXIT_USAGE = 2
EXIT_ERROR = 1


class UsageError(Exception):
    """A mistake in the command line: one line, exit 2."""


def client(args: argparse.Namespace, **kwargs: Any) -> JumpsellerClient:
    """A client from the options, the credentials falling back on the environment."""
    login = args.login or os.environ.get("JUMPSELLER_LOGIN")
    authtoken = args.authtoken or os.environ.get("JUMPSELLER_AUTHTOKEN")
    if not login or not authtoken:
        raise UsageError(
            "credentials missing: pass --login and --authtoken or set JUMPSELLER_LOGIN and JUMPSELLER_AUTHTOKEN"
        )
    return JumpsellerClient(
        login,
        authtoken,
        auth=args.auth,
        base_url=args.base_url,
        max_retries=args.max_retries,
        timeout=args.timeout,
        rate_limit_storage=args.rate_limit_storage or None,
        max_wait=args.max_wait,
        **kwargs,
    )


def add_connection_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Credentials and the server, before the command or after it (``export products --login x``).

    The subcommands' copies default to SUPPRESS so they never overwrite the top-level value.
    """

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--login", default=default(None), help="store API login (or JUMPSELLER_LOGIN)"
    )
    parser.add_argument(
        "--authtoken", default=default(None), help="store API token (or JUMPSELLER_AUTHTOKEN)"
    )
    parser.add_argument(
        "--auth",
        choices=("basic", "query"),
        default=default("basic"),
        help="how to send credentials",
    )
    parser.add_argument(
        "--base-url", default=default(os.environ.get("JUMPSELLER_BASE_URL", DEFAULT_BASE_URL))
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        default=default(3),
        help="re-sends of a failed request (default 3)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=default(30.0),
        help="seconds to wait for an answer (default 30)",
    )


def add_budget_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """How the store's rate budget is shared and how long a call may wait for it.

    Accepted before the command and after it (``demo --processes 4 --rate-limit-storage …``):
    the subcommands' copies default to SUPPRESS so they never overwrite the top-level value.
    """
    parser.add_argument(
        "--rate-limit-storage",
        metavar="URL",
        default=os.environ.get("JUMPSELLER_RATE_LIMIT_STORAGE") if top else argparse.SUPPRESS,
        help="share the store's rate budget with other processes through Redis, e.g. "
        "redis://localhost:6379/0 (or JUMPSELLER_RATE_LIMIT_STORAGE; needs the redis extra)",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        metavar="SECONDS",
        default=None if top else argparse.SUPPRESS,
        help="fail a call that would wait longer than this for a rate-limit slot "
        "(default: wait as long as needed)",
    )


def run(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Runs a command; every mistake becomes one line on stderr and an exit code, never a traceback."""
    try:
        return command(args)
    except UsageError as exc:
        print(f"jumpseller-async: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except APIError as exc:
        print(f"jumpseller-async: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except APIConnectionError as exc:
        print(f"jumpseller-async: cannot reach the server: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (ConfigurationError, JumpsellerError) as exc:
        print(f"jumpseller-async: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigurationError) else EXIT_ERROR
    except KeyboardInterrupt:
        print("jumpseller-async: interrupted (an export continues with --resume)", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"jumpseller-async: {exc}", file=sys.stderr)
        return EXIT_ERROR
