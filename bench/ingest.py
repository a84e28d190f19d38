"""Ingestion throughput: papers/s parsed and upserted from a replayed arXiv feed, delay 0.

    RETRIEVER_VAR_DIR=var/bench python -m config.devstack exec python bench/ingest.py [--entries 10000]

Builds N Atom entries from the real sample's metadata (ids made unique, all cs.IR so all are kept),
serves them from a local replay server in pages of ARXIV_PAGE_SIZE, and runs the real ingestion
service into an empty catalogue, then a second time over the same feed (everything skipped).
"""

import argparse
import dataclasses
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from apps.papers.models import IngestRun, Paper  # noqa: E402
from apps.papers.services import ingest_arxiv  # noqa: E402
from tests.arxiv_replay import Entry, ReplayFeed, ReplayServer, sample_rows  # noqa: E402


def synthetic_feed(n: int) -> list[Entry]:
    rows = sample_rows()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    entries = []
    for i in range(n):
        row = rows[i % len(rows)]
        entries.append(
            dataclasses.replace(
                Entry.from_row(row),
                arxiv_id=f"26{i // 100000:02d}.{i % 100000:05d}",
                categories=["cs.IR"],
                published=start + dt.timedelta(minutes=i),
            )
        )
    return entries


def timed_run(label: str, n: int) -> dict:
    started = time.perf_counter()
    run = ingest_arxiv(since=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), until=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    seconds = time.perf_counter() - started
    return {
        "run": label,
        "entries": n,
        "seconds": round(seconds, 2),
        "papers_per_s": round(n / seconds),
        "fetch_s": round(run.fetch_seconds, 2),
        "store_s": round(run.store_seconds, 2),
        "pages": run.pages_fetched,
        "created": run.created,
        "skipped": run.skipped,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=settings.ARXIV_PAGE_SIZE)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    Paper.objects.all().delete()
    IngestRun.objects.all().delete()
    feed = ReplayFeed(entries=synthetic_feed(args.entries))
    with ReplayServer(feed) as server:
        settings.ARXIV_API_URL = server.url
        settings.ARXIV_DELAY_SECONDS = 0
        settings.ARXIV_PAGE_SIZE = args.page_size
        results = [timed_run("empty catalogue", args.entries), timed_run("same feed again", args.entries)]
    assert Paper.objects.count() == args.entries
    print("| run | entries | seconds | papers/s | fetch+parse s | store s | pages |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['run']} | {r['entries']} | {r['seconds']} | {r['papers_per_s']} | {r['fetch_s']} | {r['store_s']} | {r['pages']} |"
        )


if __name__ == "__main__":
    main()
