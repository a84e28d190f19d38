"""For you's "New for you" slot (ranking/new_papers.py) timed on the benchmark's papers and readers.

    RETRIEVER_VAR_DIR=var/bench python -m config.devstack exec python bench/new_for_you.py [--readers 20] [--repeat 3]

Reads the data bench/digest_load.py and bench/archive_rank.py built under var/bench (100,000 papers, 10,000
readers, 200,000 interactions) and writes nothing. For each window, new_for_you() for `--readers` readers
who liked something, each `--repeat` times after one untimed call: p50 and p95 in ms, how many cards came
back (of 4), and how the nearest papers were found (walk, exact, or a walk that came back short and was
answered exactly).
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Q  # noqa: E402

from apps.embeddings import selectors  # noqa: E402
from apps.recommendations.ranking.new_papers import NEW_FOR_YOU, new_for_you  # noqa: E402
from bench._stack import machine, percentile  # noqa: E402

WINDOWS = {
    "whole archive": Q(),
    "cs.IR": Q(categories__contains=["cs.IR"]),
    "cs.DL": Q(categories__contains=["cs.DL"]),
    "since 2026-01-01": Q(announced__gte="2026-01-01"),
    "since 2026-06-01 (none new)": Q(announced__gte="2026-06-01"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    readers = list(get_user_model().objects.filter(interactions__kind="like").distinct().order_by("pk")[: args.readers])
    paths = []
    original = selectors.nearest_queryset

    def recorded(**kwargs):
        paths.append("exact" if kwargs["exact"] else "walk")
        return original(**kwargs)

    selectors.nearest_queryset = recorded
    print(f"{machine()}; {len(readers)} readers x {args.repeat}, load {os.getloadavg()[0]:.2f}")
    print(f"{'window':30} {'p50 ms':>8} {'p95 ms':>8} {'cards':>6}  found by")
    for name, window in WINDOWS.items():
        times, cards, found_by = [], [], set()
        for reader in readers:
            new_for_you(user=reader, paper_filter=window)  # warm: the reader's rows and the index pages
            for _ in range(args.repeat):
                paths.clear()
                started = time.perf_counter()
                cards.append(len(new_for_you(user=reader, paper_filter=window)))
                times.append(1000 * (time.perf_counter() - started))
                found_by.add(" then ".join(paths))
        print(
            f"{name:30} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} "
            f"{min(cards)}-{max(cards)}/{NEW_FOR_YOU}  {', '.join(sorted(found_by))}"
        )
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
