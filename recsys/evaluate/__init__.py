"""Evaluation harness: every method on one split, mean ± std over seeds, one table.

    python -m recsys.evaluate --items items.jsonl --interactions interactions.csv \
        --split temporal --seeds 3 --out report.json

Writes {"split", "test_fraction", "data", "configs": {method: its configuration},
"results": [{"method", "metric", "mean", "std"}, ...]} and prints a markdown table of the results
and each method's configuration. recsys/README.md documents the input formats.

The package: harness.py runs every method on one split, report.py turns the runs into the JSON
report and its markdown table, cli.py is the command line (__main__.py runs it).
"""

from recsys.evaluate.cli import at_least, fraction, main
from recsys.evaluate.harness import (
    DEFAULT_METHODS,
    EXAMPLE_BUDGET,
    KNOWN_METHODS,
    METHOD_GROUPS,
    default_epochs,
    evaluate,
    expand_methods,
    fit_two_tower,
    load_dataset,
    two_tower_config,
)
from recsys.evaluate.report import METRICS, markdown_table, plain, summary

__all__ = [
    "DEFAULT_METHODS",
    "EXAMPLE_BUDGET",
    "KNOWN_METHODS",
    "METHOD_GROUPS",
    "METRICS",
    "at_least",
    "default_epochs",
    "evaluate",
    "expand_methods",
    "fit_two_tower",
    "fraction",
    "load_dataset",
    "main",
    "markdown_table",
    "plain",
    "summary",
    "two_tower_config",
]
