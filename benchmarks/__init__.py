"""Benchmarks of jumpseller-async: ``python -m benchmarks [--quick] [--only NAME]``.

Each module measures one thing and returns :class:`benchmarks._common.Section` tables;
``__main__`` runs them in turn and prints every table plus a summary of targets. Figures
worth quoting are ratios measured side by side in the same run: the machines this runs on
are small and shared, so absolute timings move from run to run.
"""
