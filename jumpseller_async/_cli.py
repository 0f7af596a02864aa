"""The ``jumpseller-async`` command: ops, call, export, sim, demo.

Every mistake (bad credentials, unknown tool, bad parameter, unreachable server) prints one line
on stderr and exits non-zero; a traceback is a bug.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import models
from ._client import DEFAULT_BASE_URL, JumpsellerClient
from ._export import FORMATS, Exporter, ExportResult, resources
from ._json import loads
from ._registry import index, info
from .errors import APIConnectionError, APIError, ConfigurationError, JumpsellerError

EXIT_USAGE = 2
EXIT_ERROR = 1


class UsageError(Exception):
    """A mistake in the command line: one line, exit 2."""


# --- credentials and client ------------------------------------------------------------------


def _client(args: argparse.Namespace, **kwargs: Any) -> JumpsellerClient:
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


# --- ops -------------------------------------------------------------------------------------


def cmd_ops(args: argparse.Namespace) -> int:
    from .api._sources import SOURCES

    registry = index()
    width = max(len(tool) for tool in registry)
    for tool, op in registry.items():
        # Which spec documents it: both, apis.guru (only the old one) or official (only the new).
        source = SOURCES.get((op.method, op.path), "?")
        print(f"{tool:<{width}}  {op.method:<6} {op.path}  [{source}]  {op.summary}")
    counts = ", ".join(
        f"{sum(1 for s in SOURCES.values() if s == name)} {label}"
        for name, label in (
            ("both", "in both specs"),
            ("official", "only in the official spec"),
            ("apis.guru", "only in apis.guru's"),
        )
    )
    print(f"{len(registry)} operations ({counts})", file=sys.stderr)
    return 0


# --- call ------------------------------------------------------------------------------------


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
    async with _client(args) as client:
        answer = await module.asyncio(client=client, **kwargs)
    print(json.dumps(_plain(answer), indent=2, ensure_ascii=False))
    return 0


def cmd_call(args: argparse.Namespace) -> int:
    return asyncio.run(_call(args))


# --- export ----------------------------------------------------------------------------------


class _Progress:
    """Rich progress bars when available and on a terminal; plain lines otherwise."""

    def __init__(self) -> None:
        self._rich: Any = None
        try:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
        except ImportError:
            return
        self._rich = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("[progress.data.speed]{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            transient=False,
        )

    def __enter__(self) -> _Progress:
        if self._rich is not None:
            self._rich.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.__exit__(*exc)

    def callback(self, name: str) -> Any:
        started = time.monotonic()
        if self._rich is None:
            last = [0.0]

            def plain(items: int, total: int | None) -> None:
                now = time.monotonic()
                if now - last[0] >= 1.0 or (total is not None and items >= total):
                    last[0] = now
                    print(
                        f"{name}: {items}/{total if total is not None else '?'} items",
                        file=sys.stderr,
                    )

            return plain
        task = self._rich.add_task(name, total=None, rate="")

        def update(items: int, total: int | None) -> None:
            elapsed = max(time.monotonic() - started, 1e-9)
            self._rich.update(
                task, completed=items, total=total, rate=f"{items / elapsed:,.0f} items/s"
            )

        return update


def _print_results(results: Sequence[ExportResult]) -> None:
    for result in results:
        resumed = f" (resumed after {result.resumed_from})" if result.resumed_from else ""
        nulls = f", {result.null_items} null items skipped" if result.null_items else ""
        print(
            f"{result.resource}: {result.items} items{resumed} → {result.path} "
            f"in {result.elapsed:.1f}s, {result.requests} requests{nulls}"
        )


async def _export(args: argparse.Namespace) -> int:
    out = Path(args.out or f"{args.resource}.{args.format}")
    async with _client(args) as client:
        with _Progress() as progress:
            exporter = Exporter(
                client,
                args.resource,
                out,
                fmt=args.format,
                resume=args.resume,
                mode=args.mode,
                progress=progress.callback(args.resource),
            )
            result = await exporter.run()
    _print_results([result])
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    return asyncio.run(_export(args))


# --- sim and demo ----------------------------------------------------------------------------


def _parse_limits(text: str) -> list[tuple[int, float]]:
    """``8/1,240/60`` → [(8, 1.0), (240, 60.0)]."""
    limits = []
    for part in text.split(","):
        count, _, window = part.partition("/")
        try:
            limits.append((int(count), float(window)))
        except ValueError:
            raise UsageError(f"--limits: {part!r} is not COUNT/SECONDS (e.g. 8/1,240/60)") from None
    return limits


def _fake(args: argparse.Namespace, **overrides: Any) -> Any:
    try:
        from .testing import FakeJumpseller
    except ImportError as exc:
        raise UsageError(
            f"the fake Jumpseller needs the cli extra: pip install 'jumpseller-async[cli]' ({exc})"
        ) from None
    settings: dict[str, Any] = {
        "seed": args.seed,
        "products": args.products,
        "customers": args.customers,
        "orders": args.orders,
        "limits": _parse_limits(args.limits),
        "latency": args.latency,
        "reject_status": args.reject_status,
    }
    settings.update(overrides)
    return FakeJumpseller(**settings)


def cmd_sim(args: argparse.Namespace) -> int:
    fake = _fake(args)
    print(
        f"fake Jumpseller on http://{args.host}:{args.port}/v1 — login {fake.login!r}, "
        f"authtoken {fake.authtoken!r}; Ctrl-C stops it",
        file=sys.stderr,
    )
    fake.serve(host=args.host, port=args.port)
    return 0


async def _demo(args: argparse.Namespace) -> int:
    fake = _fake(args)
    out_dir = Path(args.out_dir or tempfile.mkdtemp(prefix="jumpseller-demo-"))
    limits = _parse_limits(args.limits)
    print(
        f"fake store: {args.products} products, {args.orders} orders, {args.customers} customers; "
        f"limits {' and '.join(f'{n}/{w:g}s' for n, w in limits)}; latency {args.latency * 1000:.0f} ms",
        file=sys.stderr,
    )
    async with fake.run_in_background(port=0) as base_url:
        client = JumpsellerClient(fake.login, fake.authtoken, base_url=base_url, rate_limits=limits)
        started = time.monotonic()
        async with client:
            with _Progress() as progress:
                exporters = [
                    Exporter(
                        client, name, out_dir / f"{name}.jsonl", progress=progress.callback(name)
                    )
                    for name in ("products", "orders", "customers")
                ]
                results = await asyncio.gather(*(e.run() for e in exporters))
        elapsed = time.monotonic() - started
    stats = fake.stats
    requests = sum(r.requests for r in results)
    per_second = limits[0][0] / limits[0][1]
    achieved = requests / elapsed if elapsed else 0.0
    print()
    _print_results(results)
    print(
        f"\nsummary: {sum(r.items for r in results)} items, {requests} requests in {elapsed:.1f}s = "
        f"{achieved:.2f} req/s against a limit of {per_second:g} req/s ({achieved / per_second:.0%}); "
        f"rate-limit rejections: {stats.rejections}; server saw at most "
        f"{stats.max_in_window(limits[0][1])} requests in any {limits[0][1]:g}s window"
    )
    print(f"files in {out_dir}")
    return 0 if stats.rejections == 0 else EXIT_ERROR


def cmd_demo(args: argparse.Namespace) -> int:
    if args.processes is not None:
        return asyncio.run(_demo_processes(args))
    return asyncio.run(_demo(args))


async def _demo_processes(args: argparse.Namespace) -> int:
    """N processes export one fake store: sharing its budget through Redis, then not."""
    from ._processes import greedy_schedule, run_fleet
    from ._storage import check_storage, redact_storage

    if args.processes < 1:
        raise UsageError("--processes must be at least 1")
    storage = args.rate_limit_storage or None
    check_storage(storage)  # a bad URL or a missing redis-py: one line, exit 2
    limits = _parse_limits(args.limits)
    runs: list[tuple[str, str | None]] = [("in-memory limiter per process, nothing shared", None)]
    if storage is not None:
        runs.insert(0, (f"budget shared through {redact_storage(storage)}", storage))
    out_root = Path(args.out_dir or tempfile.mkdtemp(prefix="jumpseller-demo-"))
    print(
        f"{args.processes} processes each export {args.resource} ({getattr(args, args.resource)} "
        f"items) from one fake store with limits {' and '.join(f'{n}/{w:g}s' for n, w in limits)}"
        f"; latency {args.latency * 1000:.0f} ms",
        file=sys.stderr,
    )
    shared_ok = True
    for number, (label, run_storage) in enumerate(runs):
        fake = _fake(args)  # a fresh store per run: the first run's minute does not weigh on it
        expected = list(getattr(fake.store, args.resource).ids)
        async with fake.run_in_background(port=0) as base_url:
            fleet = await run_fleet(
                args.processes,
                base_url=base_url,
                login=fake.login,
                authtoken=fake.authtoken,
                out_dir=out_root / f"run-{number + 1}",
                resource=args.resource,
                storage=run_storage,
                limits=limits,
            )
        exact = all(
            w.error is None and _exported_ids(Path(w.path)) == expected for w in fleet.workers
        )
        optimum = greedy_schedule(fleet.requests, limits)[-1] + args.latency
        makespan = fleet.makespan
        print(f"\n{label}:")
        for worker in fleet.workers:
            outcome = worker.error or f"{worker.items} items, {worker.requests} requests"
            print(f"  process {worker.index + 1}: {outcome}")
        print(
            f"  refusals: {fake.stats.rejections} of {fake.stats.requests} requests; "
            f"failed exports: {len(fleet.failed)}; every item exactly once in every file: "
            f"{'yes' if exact else 'NO'}\n"
            f"  makespan {makespan:.1f}s against an optimum of {optimum:.1f}s "
            f"({optimum / makespan if makespan else 0:.0%} of optimal); the store saw at most "
            f"{fake.stats.max_in_window(limits[0][1])} requests in any {limits[0][1]:g}s window"
        )
        if number == 0:
            shared_ok = fake.stats.rejections == 0 and not fleet.failed and exact
    print(f"\nfiles in {out_root}")
    return 0 if shared_ok else EXIT_ERROR


def _exported_ids(path: Path) -> list[int]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [json.loads(line)["id"] for line in lines if line]


# --- parser ----------------------------------------------------------------------------------


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1, help="seed of the fake store's data")
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument(
        "--limits", default="8/1,240/60", help="COUNT/SECONDS windows (default 8/1,240/60)"
    )
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every answer")
    parser.add_argument("--reject-status", type=int, choices=(429, 403), default=429)


def _add_connection_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
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


def _add_budget_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jumpseller-async", description="Jumpseller API from the command line."
    )
    _add_connection_options(parser, top=True)
    _add_budget_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("ops", help="list every operation").set_defaults(func=cmd_ops)

    call = sub.add_parser("call", help="call an operation by its tool name")
    call.add_argument("tool", help="e.g. products.getProductsIdJson")
    call.add_argument("params", nargs="*", help="key=value parameters")
    call.add_argument("--body", help="JSON body, or @file.json")
    _add_connection_options(call, top=False)
    _add_budget_options(call, top=False)
    call.set_defaults(func=cmd_call)

    export = sub.add_parser("export", help="export a whole resource")
    export.add_argument("resource", choices=sorted(resources()))
    export.add_argument("--format", choices=FORMATS, default="jsonl")
    export.add_argument("--out", help="output file (default RESOURCE.FORMAT)")
    export.add_argument("--resume", action="store_true", help="continue an interrupted export")
    export.add_argument(
        "--mode", choices=("after", "page"), help="walk by id (products, orders) or by page"
    )
    _add_connection_options(export, top=False)
    _add_budget_options(export, top=False)
    export.set_defaults(func=cmd_export)

    sim = sub.add_parser("sim", help="run the fake Jumpseller")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8000)
    _add_store_options(sim)
    sim.set_defaults(func=cmd_sim)

    demo = sub.add_parser("demo", help="export a fake store concurrently at its limits")
    demo.add_argument(
        "--out-dir", help="where to write the exports (default: a temporary directory)"
    )
    demo.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="N processes export one store; with --rate-limit-storage they share its budget "
        "through Redis, and a second run without it shows the difference",
    )
    demo.add_argument(
        "--resource",
        choices=("products", "orders", "customers"),
        default="products",
        help="what each process exports with --processes (default products)",
    )
    _add_budget_options(demo, top=False)
    _add_store_options(demo)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
        return result
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


if __name__ == "__main__":
    sys.exit(main())
