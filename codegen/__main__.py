"""`python -m codegen preview [SPEC] | generate | check`."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
from pathlib import Path

from ._generate import LOCK_PATH, TARGET, GenerationError, generate
from ._preview import load_official, render_preview
from ._spec import SPEC_PATH, PatchError, PatchSet, load_spec


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def cmd_preview(args: argparse.Namespace) -> int:
    spec_path = Path(args.spec) if args.spec else SPEC_PATH
    official = load_official(Path(args.official) if args.official else None)
    print(render_preview(load_spec(spec_path), PatchSet.load(), official))
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    lock = generate()
    count = sum(
        1 for p in TARGET.glob("*/*.py") if p.name != "__init__.py" and p.parent.name != "_models"
    )
    print(
        f"generated {count} operation modules into {TARGET.relative_to(Path.cwd()) if TARGET.is_relative_to(Path.cwd()) else TARGET}"
    )
    print(json.dumps(lock, indent=2))
    return 0


def stale_diff(target: Path = TARGET, lock_path: Path = LOCK_PATH) -> list[str]:
    """Unified diff between the committed generated tree (and lock) and a fresh generation."""
    with tempfile.TemporaryDirectory(prefix="jumpseller-check-") as tmp:
        fresh_target = Path(tmp) / "api"
        fresh_lock = Path(tmp) / "lock.json"
        generate(target=fresh_target, lock_path=fresh_lock)
        committed = _files(target) if target.exists() else {}
        fresh = _files(fresh_target)
        committed["../lock.json"] = (
            lock_path.read_text(encoding="utf-8") if lock_path.exists() else ""
        )
        fresh["../lock.json"] = fresh_lock.read_text(encoding="utf-8")
    diff: list[str] = []
    for name in sorted(set(committed) | set(fresh)):
        before, after = committed.get(name, ""), fresh.get(name, "")
        if before != after:
            diff.extend(
                difflib.unified_diff(
                    before.splitlines(keepends=True),
                    after.splitlines(keepends=True),
                    fromfile=f"committed/{name}",
                    tofile=f"generated/{name}",
                )
            )
    return diff


def cmd_check(args: argparse.Namespace) -> int:
    diff = stale_diff()
    if diff:
        sys.stdout.writelines(diff[:4000])
        print(
            f"\ncodegen check: the committed generated code differs from `make generate` ({len(diff)} diff lines)"
        )
        return 1
    print("codegen check: the generated code and lock match `make generate`")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    preview = sub.add_parser("preview", help="list operations and spec problems; writes nothing")
    preview.add_argument("spec", nargs="?", help="spec to preview (default: openapi.yaml)")
    preview.add_argument("--official", help="official spec to compare shapes with")
    preview.set_defaults(func=cmd_preview)
    sub.add_parser("generate", help="wipe and regenerate jumpseller_async/api").set_defaults(
        func=cmd_generate
    )
    sub.add_parser("check", help="fail with a diff if the committed code is stale").set_defaults(
        func=cmd_check
    )
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except (PatchError, GenerationError, OSError) as exc:
        print(f"codegen {args.command}: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
