"""``python -m benchmarks.import_compare [--runs N] TREE [TREE ...]``: section (f2) of several
source trees side by side, for before/after figures.

Each TREE is a checkout of this repository (``git worktree add /tmp/before <commit>``, or ``git
archive <commit> | tar -x -C /tmp/before``). Every sample runs the (f2) probes in each tree in
turn, with one shared bytecode cache written by a warm-up run per tree, so a load spike hits the
trees alike. Pure Python imports: the trees share this interpreter's installed dependencies.
"""

from __future__ import annotations

import argparse
import os
import tempfile

from ._common import fmt, median, table
from .speed import _FIRST_CALL, _IMPORT_PROBES, _import_sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.import_compare", description=__doc__
    )
    parser.add_argument("--runs", type=int, default=15, help="samples per tree and probe (15)")
    parser.add_argument("trees", nargs="+", metavar="TREE")
    args = parser.parse_args(argv)
    trees = [os.path.realpath(tree) for tree in args.trees]
    samples: dict[tuple[str, str], list[float]] = {
        (tree, label): [] for tree in trees for label, _, _ in _IMPORT_PROBES
    }
    modules: dict[tuple[str, str], int] = {}
    with tempfile.TemporaryDirectory(prefix="jumpseller-pycache-") as cache_dir:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache_dir}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for tree in trees:
            _import_sample("import httpx, asyncio", env, cached=False, tree=tree, timed=_FIRST_CALL)
        for _ in range(args.runs):
            for tree in trees:
                for label, before, timed in _IMPORT_PROBES:
                    ms, modules[tree, label] = _import_sample(
                        before, env, cached=True, tree=tree, timed=timed
                    )
                    samples[tree, label].append(ms)
    rows = [
        [
            tree,
            label,
            fmt(median(values), 1),
            fmt(min(values), 1),
            fmt(max(values), 1),
            str(modules[tree, label]),
        ]
        for (tree, label), values in samples.items()
    ]
    print(f"### (f2) side by side, {args.runs} samples per tree and probe, interleaved\n")
    print(table(["tree", "timed", "median ms", "min ms", "max ms", "modules"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
