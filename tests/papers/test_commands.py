import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.papers.models import IngestRun, Paper
from apps.papers.relevance import relevance_reason
from tests.arxiv_replay import SAMPLE

pytestmark = pytest.mark.django_db


def test_import_papers_is_idempotent():
    call_command("import_papers", str(SAMPLE), verbosity=0, stdout=StringIO())
    count = Paper.objects.count()
    out = StringIO()
    call_command("import_papers", str(SAMPLE), verbosity=0, stdout=out)
    assert count > 0 and Paper.objects.count() == count
    assert f"0 created, 0 updated, {sum(1 for _ in open(SAMPLE))} skipped" in out.getvalue()


def test_import_papers_applies_the_relevance_rule_of_the_api_path(real_rows):
    call_command("import_papers", str(SAMPLE), verbosity=0, stdout=StringIO())
    accepted = {
        row["arxiv_id"]
        for row in real_rows
        if relevance_reason(title=row["title"], abstract=row["abstract"], categories=row["categories"])
    }
    assert 0 < len(accepted) < len(real_rows)
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == accepted
    run = IngestRun.objects.get()
    assert run.seen == len(real_rows) and run.created == len(accepted)
    assert run.skipped == len(real_rows) - len(accepted)


def test_import_papers_reports_bad_lines_and_keeps_the_good_ones(tmp_path, real_rows):
    path = tmp_path / "papers.jsonl"
    path.write_text(
        json.dumps(real_rows[0])
        + "\n{not json\n"
        + json.dumps({**real_rows[1], "title": ""})
        + "\n"
        + json.dumps(real_rows[2])
        + "\n"
    )
    out = StringIO()
    call_command("import_papers", str(path), verbosity=0, stdout=out)
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == sorted(
        [real_rows[0]["arxiv_id"], real_rows[2]["arxiv_id"]]
    )
    run = IngestRun.objects.get()
    assert run.errors == 2 and "line 2" in run.error_message and "line 3" in run.error_message
    assert "2 errors" in out.getvalue()


def test_import_papers_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_papers", str(tmp_path / "missing.jsonl"))


def test_ingest_arxiv_command_prints_a_summary(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries
    out = StringIO()
    call_command("ingest_arxiv", "--since", "2026-01-01", "--until", "2026-08-01", verbosity=0, stdout=out)
    assert "succeeded: 25 seen, 25 created" in out.getvalue()


def test_ingest_arxiv_command_explains_a_failure(arxiv_feed, recsys_entries):
    arxiv_feed.entries = recsys_entries
    arxiv_feed.fail(page=2, status=503, times=5)
    with pytest.raises(CommandError, match="papers stored before the failure are kept: arXiv answered HTTP 503"):
        call_command("ingest_arxiv", "--since", "2026-01-01", verbosity=0)
    assert Paper.objects.count() == 10


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "yesterday"], "Not a date"),
        (["--max", "0"], "--max must be a positive number"),
        (["--since", "2026-02-01", "--until", "2026-01-01"], "--since must be before --until"),
    ],
)
def test_ingest_arxiv_command_rejects_bad_arguments(arxiv_feed, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("ingest_arxiv", *args, verbosity=0)
