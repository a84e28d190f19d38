"""Ingestion against a local replay of the arXiv API, into the real PostgreSQL."""

import dataclasses
import datetime as dt

import psycopg
import pytest
from django.db import connection

from apps.common.keys import INGEST_LOCK
from apps.papers.arxiv_client import FeedUnavailable, MalformedFeed, TruncatedPage
from apps.papers.models import IngestRun, Paper, PaperVersion
from apps.papers.services import IngestAlreadyRunning, ingest_arxiv
from apps.papers.services.ingest import ALREADY_RUNNING, BAD_WINDOW
from tests.arxiv_replay import Entry

pytestmark = pytest.mark.django_db

SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)


def ingest(**kwargs) -> IngestRun:
    return ingest_arxiv(since=SINCE, until=UNTIL, **kwargs)


def stored_ids() -> list[str]:
    return sorted(Paper.objects.values_list("arxiv_id", flat=True))


def test_several_pages_are_fetched_and_stored(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries  # 25 entries, 10 a page
    run = ingest()
    assert run.status == IngestRun.Status.SUCCEEDED
    assert (run.pages_fetched, run.seen, run.created) == (3, 25, 25)
    assert [request["start"] for request in arxiv_feed.requests] == [0, 10, 20]
    assert stored_ids() == sorted(entry.arxiv_id for entry in recsys_entries)
    paper = Paper.objects.get(arxiv_id=recsys_entries[0].arxiv_id)
    assert paper.title == recsys_entries[0].title
    assert list(paper.ordered_authors().values_list("name", flat=True)) == recsys_entries[0].authors
    assert paper.authors_text == ", ".join(recsys_entries[0].authors)


def test_the_query_asks_for_the_window_and_categories(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries[:3]
    ingest()
    query = arxiv_feed.requests[0]["query"]
    assert "cat:cs.IR" in query and "cat:stat.ML" in query
    assert "lastUpdatedDate:[202601010000 TO 202608010000]" in query


def test_a_paper_on_two_pages_is_stored_once(arxiv_feed, recsys_entries):
    entries = recsys_entries[:19]
    entries.insert(10, entries[9])  # last of page 1 again first of page 2, as when arXiv shifts under us
    arxiv_feed.entries = entries
    run = ingest()
    assert Paper.objects.count() == 19
    assert (run.created, run.skipped) == (19, 1)


def test_a_new_version_updates_the_row_and_keeps_the_history(arxiv_feed, recsys_entries):
    first = recsys_entries[0]
    arxiv_feed.entries = [first]
    ingest()
    announced = Paper.objects.get(arxiv_id=first.arxiv_id).announced
    revised = dataclasses.replace(
        first,
        version=2,
        title=first.title + " (revised)",
        authors=first.authors[:1],
        updated=first.published + dt.timedelta(days=20),
    )
    arxiv_feed.entries = [revised]
    run = ingest()
    paper = Paper.objects.get(arxiv_id=first.arxiv_id)
    assert (run.updated, paper.version, paper.title) == (1, 2, revised.title)
    assert paper.announced == announced  # still the first version's announcement
    assert list(paper.ordered_authors().values_list("name", flat=True)) == first.authors[:1]
    assert list(PaperVersion.objects.filter(paper=paper).values_list("version", "title")) == [
        (1, first.title),
        (2, revised.title),
    ]


def test_an_older_version_never_overwrites_a_newer_one(arxiv_feed, recsys_entries):
    newer = dataclasses.replace(recsys_entries[0], version=3, title="Third version")
    arxiv_feed.entries = [newer]
    ingest()
    arxiv_feed.entries = [dataclasses.replace(newer, version=2, title="Second version")]
    run = ingest()
    assert run.skipped == 1
    assert Paper.objects.get().title == "Third version"


def test_a_withdrawn_paper_is_flagged_not_deleted(arxiv_feed, recsys_entries):
    paper = recsys_entries[0]
    arxiv_feed.entries = [paper]
    ingest()
    arxiv_feed.entries = [
        dataclasses.replace(paper, version=2, comment="This paper has been withdrawn by the authors.")
    ]
    ingest()
    stored = Paper.objects.get(arxiv_id=paper.arxiv_id)
    assert stored.withdrawn and stored.version == 2
    assert not Paper.objects.visible().filter(pk=stored.pk).exists()


def test_malformed_xml_on_page_two_fails_the_run_and_keeps_page_one(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries
    page_two = _page_with(recsys_entries[10:20], total=25, start=10)
    arxiv_feed.fail(page=2, body=page_two[: len(page_two) // 2], times=2)  # cut off mid-entry, twice
    with pytest.raises(TruncatedPage):
        ingest()
    run = IngestRun.objects.get()
    assert run.status == IngestRun.Status.FAILED
    assert "page 2 (start=10)" in run.error_message
    assert stored_ids() == sorted(entry.arxiv_id for entry in recsys_entries[:10])

    rerun = ingest()  # the feed is healthy again: nothing lost, nothing doubled
    assert rerun.status == IngestRun.Status.SUCCEEDED
    assert (rerun.created, rerun.skipped) == (15, 10)
    assert Paper.objects.count() == 25


def test_a_short_page_is_refused_rather_than_half_stored(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries
    # Well-formed XML whose header promises 25 results but whose page 2 carries one entry, on both tries.
    arxiv_feed.fail(page=2, body=_page_with(recsys_entries[10:11], total=25, start=10), times=2)
    with pytest.raises(TruncatedPage, match="1 readable entries for page 2.*, 2 tries"):
        ingest()
    assert Paper.objects.count() == 10


def test_a_short_page_once_is_retried_by_the_client(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries
    arxiv_feed.fail(page=2, body=_page_with(recsys_entries[10:11], total=25, start=10), times=1)
    run = ingest()
    assert run.status == IngestRun.Status.SUCCEEDED and Paper.objects.count() == 25
    assert [request["start"] for request in arxiv_feed.requests] == [0, 10, 10, 20]


def test_a_4xx_answer_fails_at_once_without_retrying(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries
    arxiv_feed.fail(page=2, status=400, times=5)
    with pytest.raises(MalformedFeed, match="HTTP 400 for page 2"):
        ingest()
    assert [request["start"] for request in arxiv_feed.requests] == [0, 10]
    assert IngestRun.objects.get().status == IngestRun.Status.FAILED


def test_garbage_on_page_two_is_retried_by_the_client_then_reported(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries
    arxiv_feed.fail(page=2, body=b"<html>Rate exceeded.</html>", times=2)
    with pytest.raises(TruncatedPage, match=r"no readable entries for page 2 \(start=10\)"):
        ingest()
    assert [request["start"] for request in arxiv_feed.requests] == [0, 10, 10]
    assert Paper.objects.count() == 10


def test_http_503_once_is_retried_by_the_client(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries
    arxiv_feed.fail(page=2, status=503, times=1)
    run = ingest()
    assert run.status == IngestRun.Status.SUCCEEDED and Paper.objects.count() == 25
    assert [request["start"] for request in arxiv_feed.requests] == [0, 10, 10, 20]


def test_persistent_http_503_fails_the_run_with_a_clear_error(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries
    arxiv_feed.fail(page=2, status=503, times=5)
    with pytest.raises(FeedUnavailable):
        ingest()
    run = IngestRun.objects.get()
    assert run.status == IngestRun.Status.FAILED
    assert run.error_message == "arXiv answered HTTP 503 for page 2 (start=10), 2 tries"
    assert Paper.objects.count() == 10


def test_an_empty_window_succeeds_with_nothing(arxiv_feed):
    run = ingest()
    assert run.status == IngestRun.Status.SUCCEEDED
    assert (run.seen, run.created, run.pages_fetched) == (0, 0, 1)


def test_a_window_that_ends_before_it_starts_is_refused(arxiv_feed):
    with pytest.raises(ValueError, match=BAD_WINDOW):
        ingest_arxiv(since=UNTIL, until=SINCE)
    assert not IngestRun.objects.exists()


def test_off_topic_papers_are_skipped(arxiv_feed, real_rows):
    off_topic = next(row for row in real_rows if row["arxiv_id"] == "2603.03907")  # cs.CV
    on_topic = next(row for row in real_rows if row["arxiv_id"] == "2603.02709")  # recommendation, cs.CL
    arxiv_feed.entries = [Entry.from_row(off_topic), Entry.from_row(on_topic)]
    run = ingest()
    assert stored_ids() == ["2603.02709"]
    assert (run.seen, run.created, run.skipped) == (2, 1, 1)


def test_ingesting_twice_leaves_one_row_per_paper_with_the_newest_version(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries
    ingest()
    arxiv_feed.entries = recsys_entries[:5] + [dataclasses.replace(e, version=2) for e in recsys_entries[5:]]
    second = ingest()
    assert (second.created, second.updated, second.skipped) == (0, 20, 5)
    assert Paper.objects.count() == 25
    assert Paper.objects.filter(version=2).count() == 20


def test_the_next_run_resumes_from_the_high_water_mark(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries[:3]
    first = ingest()
    until = UNTIL + dt.timedelta(days=1)
    second = ingest_arxiv(until=until)
    assert second.window_start == first.window_end
    assert "lastUpdatedDate:[202608010000 TO 202608020000]" in arxiv_feed.requests[-1]["query"]


def test_a_run_cut_short_by_max_resumes_after_the_last_entry_it_stored(arxiv_feed, recsys_entries):
    entries = [
        dataclasses.replace(entry, updated=SINCE + dt.timedelta(hours=index))
        for index, entry in enumerate(recsys_entries)
    ]
    arxiv_feed.entries = entries
    run = ingest(max_results=12)
    assert run.seen == 12 and Paper.objects.count() == 12
    assert run.window_end == entries[11].updated


def test_a_second_run_while_one_is_going_does_nothing(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [INGEST_LOCK])  # another worker's run
        with pytest.raises(IngestAlreadyRunning, match=ALREADY_RUNNING):
            ingest()
    assert not IngestRun.objects.exists() and not arxiv_feed.requests


def _page_with(entries, *, total, start):
    from tests.arxiv_replay import atom_page

    return atom_page(entries, total=total, start=start, per_page=10)
