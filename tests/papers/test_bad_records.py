"""Bad records through both ingestion paths: each is skipped and recorded on its run, the good ones
beside it are stored, and the run always ends with a status and a reason."""

import dataclasses
import datetime as dt
import json
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from apps.common.keys import INGEST_RUN_ALIVE_LOCK
from apps.papers.models import IngestRun, Paper
from apps.papers.records import InvalidRecord, PaperRecord, from_snapshot
from apps.papers.services import import_snapshot, ingest_arxiv
from apps.papers.services.runs import ABANDONED
from tests.bad_input import JSON_VALUES

pytestmark = pytest.mark.django_db

SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)


def test_bad_api_entries_are_rejected_on_the_run_and_their_page_is_stored(arxiv_feed, recsys_entries):
    good = recsys_entries[:6]
    bad = [
        dataclasses.replace(recsys_entries[6], authors=["A" * 301]),
        dataclasses.replace(recsys_entries[7], version=99999),
        dataclasses.replace(recsys_entries[8], categories=["cs.IR", "c" * 40]),
        dataclasses.replace(recsys_entries[9], doi="10." + "9" * 300),
    ]
    arxiv_feed.entries = good[:3] + bad + good[3:]

    run = ingest_arxiv(since=SINCE, until=UNTIL)

    assert run.status == IngestRun.Status.PARTIAL
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == sorted(e.arxiv_id for e in good)
    assert (run.seen, run.created, run.errors) == (10, 6, 4)
    assert [item["id"] for item in run.rejected] == [f"http://arxiv.org/abs/{e.arxiv_id}v{e.version}" for e in bad]
    reasons = " ".join(item["reason"] for item in run.rejected)
    for expected in ("author name longer than 300", "version 99999 out of range", "category longer than 32", "DOI"):
        assert expected in reasons
    assert run.error_message.startswith("4 records rejected: ") and bad[0].arxiv_id in run.error_message


def test_control_characters_are_stripped_from_api_entries(arxiv_feed, recsys_entries):
    entry = dataclasses.replace(recsys_entries[0], title="Bell\x07 and\x1b escape", abstract="Line one\nline\ttwo\x0c")
    arxiv_feed.entries = [entry]
    run = ingest_arxiv(since=SINCE, until=UNTIL)
    paper = Paper.objects.get()
    assert run.status == IngestRun.Status.SUCCEEDED
    assert (paper.title, paper.abstract) == ("Bell and escape", "Line one\nline\ttwo")


def _write(tmp_path, rows) -> str:
    path = tmp_path / "papers.jsonl"
    path.write_bytes(b"".join(row if isinstance(row, bytes) else (json.dumps(row) + "\n").encode() for row in rows))
    return path


def test_bad_snapshot_rows_are_rejected_with_their_line_and_reason(tmp_path, real_rows):
    rows = [row for row in real_rows if "cs.IR" in row["categories"]][:4]
    bad = [
        {**rows[0], "arxiv_id": "2601.00001", "authors": "Ada Lovelace"},
        {**rows[0], "arxiv_id": "2601.00002", "categories": "cs.IR"},
        {**rows[0], "arxiv_id": "2601.00003", "categories": ["cs.IR", "c" * 40]},
        {**rows[0], "arxiv_id": "2601.00004", "authors": ["B" * 301]},
        {**rows[0], "arxiv_id": "2601.00005v99999"},
        {**rows[0], "arxiv_id": "2601.00006", "title": 42},
        {**rows[0], "arxiv_id": "2601.00007", "announced_date": "9999-12-31"},
        ["not", "an", "object"],
        b"\xff\xfe not utf-8\n",
        b"[" * 100000 + b"\n",
    ]
    path = _write(tmp_path, rows[:2] + bad + rows[2:])

    run = import_snapshot(path)

    assert run.status == IngestRun.Status.PARTIAL
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == sorted(row["arxiv_id"] for row in rows)
    assert (run.seen, run.created, run.errors) == (14, 4, 10)
    assert [item["id"] for item in run.rejected] == [f"line {n}" for n in range(3, 13)]
    reasons = [item["reason"] for item in run.rejected]
    assert "'authors' must be a list of strings, not str" in reasons[0]
    assert "'categories' must be a list of strings, not str" in reasons[1]
    assert "category longer than 32" in reasons[2]
    assert "author name longer than 300" in reasons[3]
    assert "version 99999 out of range" in reasons[4]
    assert "'title' must be a string, not int" in reasons[5]
    assert "outside arXiv's lifetime" in reasons[6]
    assert "must be a JSON object, not list" in reasons[7]
    assert "not UTF-8" in reasons[8]
    assert "line 3:" in run.error_message


@pytest.mark.parametrize(
    "field", ["arxiv_id", "title", "abstract", "authors", "categories", "comment", "announced_date"]
)
def test_any_wrong_value_in_any_field_is_an_invalid_record_or_a_clean_one(field, real_rows):
    for value in JSON_VALUES:
        try:
            record = from_snapshot({**real_rows[0], field: value})
        except InvalidRecord:
            continue
        assert not record.problems() and "\x00" not in record.title + record.abstract + "".join(record.authors)


def test_nul_and_control_characters_in_a_snapshot_are_stripped(tmp_path, real_rows):
    row = next(row for row in real_rows if "cs.IR" in row["categories"])
    path = _write(
        tmp_path, [{**row, "title": "A\x00 title\x01", "abstract": "An\x00 abstract\n", "authors": ["N\x00ame"]}]
    )
    run = import_snapshot(path)
    paper = Paper.objects.get()
    assert run.status == IngestRun.Status.SUCCEEDED
    assert (paper.title, paper.abstract, paper.authors_text) == ("A title", "An abstract", "Name")


def test_a_record_the_database_refuses_costs_only_itself(tmp_path, real_rows, monkeypatch):
    """Defence in depth: should validation miss a limit, the batch is stored record by record."""
    monkeypatch.setattr(PaperRecord, "problems", lambda self: [])
    rows = [row for row in real_rows if "cs.IR" in row["categories"]][:3]
    path = _write(tmp_path, [rows[0], {**rows[1], "authors": ["C" * 400]}, rows[2]])
    run = import_snapshot(path)
    assert run.status == IngestRun.Status.PARTIAL
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == sorted(
        [rows[0]["arxiv_id"], rows[2]["arxiv_id"]]
    )
    assert run.rejected == [{"id": rows[1]["arxiv_id"], "reason": run.rejected[0]["reason"]}]
    assert "refused by the database" in run.rejected[0]["reason"]


def test_an_unexpected_error_fails_the_run_with_its_reason(tmp_path, real_rows, monkeypatch):
    def broken(run, records):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("apps.papers.services.snapshot.upsert_for_run", broken)
    with pytest.raises(RuntimeError):
        import_snapshot(_write(tmp_path, real_rows[:2]))
    run = IngestRun.objects.get()
    assert (run.status, run.error_message) == (IngestRun.Status.FAILED, "disk on fire")
    assert run.finished_at is not None


def test_a_run_whose_process_died_is_marked_failed_by_the_next_one(tmp_path, real_rows):
    dead = IngestRun.objects.create(source=IngestRun.Source.ARXIV_API)  # its process is gone: no lock held
    run = import_snapshot(_write(tmp_path, real_rows[:1]))
    dead.refresh_from_db()
    assert dead.status == IngestRun.Status.FAILED and dead.finished_at is not None
    assert dead.error_message == ABANDONED.format(by=run.pk)


def test_a_run_still_going_in_another_process_is_left_alone(tmp_path, real_rows):
    alive = IngestRun.objects.create(source=IngestRun.Source.SNAPSHOT)
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [INGEST_RUN_ALIVE_LOCK, alive.pk])
        import_snapshot(_write(tmp_path, real_rows[:1]))
    alive.refresh_from_db()
    assert alive.status == IngestRun.Status.RUNNING


def test_import_papers_says_which_lines_were_rejected(tmp_path, real_rows):
    out = StringIO()
    path = _write(tmp_path, [real_rows[0], {**real_rows[1], "authors": "x"}])
    call_command("import_papers", str(path), verbosity=0, stdout=out)
    assert "partial" in out.getvalue() and "line 2" in out.getvalue()
