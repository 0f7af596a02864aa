"""``jumpseller-async call TOOL key=value… [--body JSON]``: one operation, its answer as JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from .. import models
from .._json import loads
from .._registry import info
from ._common import UsageError, add_budget_options, add_connection_options, client


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The tool, its key=value parameters, a body, and the connection options."""
    parser.add_argument("tool", help="e.g. products.getProductsIdJson")
    parser.add_argument("params", nargs="*", help="key=value parameters")
    parser.add_argument("--body", help="JSON body, or @file.json")
    add_connection_options(parser, top=False)
    add_budget_options(parser, top=False)


def _convert(tool: str, name: str, raw: str, annotation: str) -> Any:
    """A key=value string as the parameter's declared type, or a one-line error."""
    kinds = [part.strip() for part in annotation.split("|")]
    try:
        if "int" in kinds:
            return int(raw)
        if "float" in kinds:
            return float(raw)
        if "bool" in kinds:
            if raw.lower() in ("true", "1", "yes"):
                return True
            if raw.lower() in ("false", "0", "no"):
                return False
            raise ValueError("expected true or false")
    except ValueError as exc:
        shown = repr(raw) if len(raw) <= 60 else f"{raw[:40]!r}… ({len(raw):,} characters)"
        raise UsageError(
            f"{tool}: parameter {name}={shown} is not a valid {annotation} ({str(exc)[:120]})"
        ) from None
    for kind in kinds:
        enum_class = getattr(models, kind, None)
        if enum_class is not None and hasattr(enum_class, "__members__"):
            return enum_class(raw)  # open enums accept values the spec does not list
    return raw


def _load_body(tool: str, raw: str, annotation: str) -> Any:
    text = raw
    if raw.startswith("@"):
        try:
            text = Path(raw[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{tool}: cannot read body file {raw[1:]!r}: {exc.strerror}") from None
    try:
        data = loads(text)
    except ValueError as exc:
        raise UsageError(f"{tool}: --body is not valid JSON ({exc})") from None
    model = getattr(models, annotation.split("|")[0].strip(), None)
    if model is None:
        return data
    if not isinstance(data, dict):
        raise UsageError(f"{tool}: --body must be a JSON object for {model.__name__}")
    try:
        return model.from_dict(data)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise UsageError(
            f"{tool}: --body does not fit {model.__name__} ({type(exc).__name__}: {exc})"
        ) from None


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


async def _call(args: argparse.Namespace) -> int:
    try:
        entry = info(args.tool)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    accepted = {p.name: p for p in entry.params}
    kwargs: dict[str, Any] = {}
    for pair in args.params:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise UsageError(f"{args.tool}: expected key=value, got {pair!r}")
        if name not in accepted:
            raise UsageError(
                f"{args.tool}: unknown parameter {name!r}; it takes: {', '.join(accepted) or 'none'}"
            )
        kwargs[name] = _convert(args.tool, name, raw, accepted[name].annotation)
    missing = [name for name, p in accepted.items() if p.required and name not in kwargs]
    if missing:
        raise UsageError(f"{args.tool}: missing parameter(s) {', '.join(missing)}")
    if entry.body is not None:
        if args.body is None:
            raise UsageError(f"{args.tool}: needs --body JSON or --body @file.json")
        kwargs["body"] = _load_body(args.tool, args.body, entry.body)
    elif args.body is not None:
        raise UsageError(f"{args.tool} takes no body")
    module = entry.load()
    async with client(args) as api:
        answer = await module.asyncio(client=api, **kwargs)
    print(json.dumps(_plain(answer), indent=2, ensure_ascii=False))
    return 0


def run(args: argparse.Namespace) -> int:
    """Calls the operation and prints its answer as JSON on stdout."""
    return asyncio.run(_call(args))
