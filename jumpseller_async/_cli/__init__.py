"""The ``jumpseller-async`` command: ops, call, export, sim, demo.

One module per command (``ops``, ``call``, ``export``, ``sim``, ``demo``), each with
``add_arguments(parser)`` and ``run(args) -> int``, imported only when argparse dispatches to it,
so the fake server and uvicorn load only for ``sim``/``demo``, our use of rich only for the
progress bars of ``export``/``demo``, and the export table only for ``export``/``demo``. Every
mistake (bad credentials, unknown tool, bad parameter, unreachable server) prints one
line on stderr and exits non-zero; a traceback is a bug.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from ._common import EXIT_ERROR, EXIT_USAGE, UsageError, add_budget_options, add_connection_options
from ._common import run as _run

__all__ = ["EXIT_ERROR", "EXIT_USAGE", "UsageError", "build_parser", "main"]

# Command → its one-line help, shown by ``--help`` without importing the command's module.
COMMANDS = {
    "ops": "list every operation",
    "call": "call an operation by its tool name",
    "export": "export a whole resource",
    "sim": "run the fake Jumpseller",
    "demo": "export a fake store concurrently at its limits",
}


class _CommandParser(argparse.ArgumentParser):
    """A subcommand's parser whose arguments come from its module on first use."""

    def __init__(self, *args: Any, command: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._command = command
        self._module: ModuleType | None = None

    def _load(self) -> None:
        if self._module is None:
            self._module = importlib.import_module(f"{__name__}.{self._command}")
            self._module.add_arguments(self)
            self.set_defaults(func=self._module.run)

    # argparse hands the rest of the command line to the chosen subparser through
    # parse_known_args; that is the moment its module is needed, and the only one.
    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._load()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self._load()
        return super().format_help()

    def format_usage(self) -> str:
        self._load()
        return super().format_usage()


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; a command's own arguments load when that command is parsed."""
    parser = argparse.ArgumentParser(
        prog="jumpseller-async", description="Jumpseller API from the command line."
    )
    add_connection_options(parser, top=True)
    add_budget_options(parser, top=True)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_CommandParser
    )
    for name, help_text in COMMANDS.items():
        sub.add_parser(name, help=help_text, command=name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parses ``argv`` (default ``sys.argv[1:]``), runs the command, returns the exit code."""
    args = build_parser().parse_args(argv)
    return _run(args.func, args)
