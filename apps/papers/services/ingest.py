"""Incremental arXiv ingestion: one IngestRun per call, stored page by page, single-flight."""

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.conf import settings
from django.utils import timezone

from apps.common.keys import INGEST_LOCK
from apps.common.locks import single_flight
from apps.papers.arxiv_client import ArxivClient, build_query
from apps.papers.models import IngestRun
from apps.papers.records import InvalidRecord, from_arxiv_result, printable
from apps.papers.relevance import current_rule, keep_relevant
from apps.papers.services.runs import recorded_run
from apps.papers.services.upsert import upsert_for_run

ALREADY_RUNNING = "An arXiv ingestion is already running; this one did nothing."
BAD_WINDOW = "The window is empty: --since must be before --until."


class IngestAlreadyRunning(Exception):
    pass


def high_water_mark() -> dt.datetime | None:
    """Where the next incremental run starts: the end of the last completed API run.

    A partial run counts: what it rejected would be rejected again.
    """
    last = (
        IngestRun.objects.filter(source=IngestRun.Source.ARXIV_API, status__in=IngestRun.COMPLETED)
        .order_by("-window_end")
        .values_list("window_end", flat=True)
        .first()
    )
    return last


def _timed_batches(results: Iterable, size: int, run: IngestRun) -> Iterator[list]:
    """Batches of one page each; the time spent waiting on arXiv goes to run.fetch_seconds."""
    iterator = iter(results)
    while True:
        started = time.monotonic()
        batch = list(islice(iterator, size))
        run.fetch_seconds += time.monotonic() - started
        if not batch:
            return
        yield batch


def _store_page(run: IngestRun, results: list) -> None:
    records = []
    for result in results:
        run.seen += 1
        try:
            records.append(from_arxiv_result(result))
        except InvalidRecord as error:
            run.reject(printable(result.entry_id)[:100], str(error))
    relevant = keep_relevant(records)
    run.skipped += len(records) - len(relevant)
    upsert_for_run(run, relevant)


def ingest_arxiv(
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    max_results: int | None = None,
    on_page: Callable[[IngestRun, int | None], None] | None = None,
) -> IngestRun:
    """Fetch what arXiv updated in [since, until] and upsert the RecSys papers among it.

    Without `since`, resumes from the last completed run (or ARXIV_FIRST_RUN_DAYS back). Each page is
    stored in its own transaction, so a failure on page n keeps pages 1..n-1; an invalid entry is
    rejected on the run and its page stored without it. A failed run is recorded with its reason and the
    error raised again for the caller to retry or report.
    """
    with single_flight(INGEST_LOCK, IngestAlreadyRunning(ALREADY_RUNNING)):
        until = until or timezone.now()
        since = since or high_water_mark() or until - dt.timedelta(days=settings.ARXIV_FIRST_RUN_DAYS)
        if since >= until:
            raise ValueError(BAD_WINDOW)
        client = ArxivClient(
            api_url=settings.ARXIV_API_URL,
            page_size=settings.ARXIV_PAGE_SIZE,
            delay_seconds=settings.ARXIV_DELAY_SECONDS,
            num_retries=settings.ARXIV_NUM_RETRIES,
        )
        query = build_query(categories=current_rule().categories, since=since, until=until)
        with recorded_run(source=IngestRun.Source.ARXIV_API, query=query, window_start=since, window_end=until) as run:
            last_updated = None
            try:
                for page in _timed_batches(client.search(query, max_results=max_results), client.page_size, run):
                    _store_page(run, page)
                    last_updated = page[-1].updated
                    run.pages_fetched = client.pages_fetched
                    run.save()
                    if on_page:
                        on_page(run, min(filter(None, [client.total_results, max_results])))
            finally:
                run.pages_fetched = client.pages_fetched
            if max_results is not None and run.seen >= max_results:
                run.window_end = last_updated  # cut short: the next run picks up from here
        return run
