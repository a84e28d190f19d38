"""Editors' accept/reject decisions refit the relevance classifier (manage.py refit_relevance)."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.digests.models import Decision
from apps.papers import relevance
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_the_editors_last_verdict_per_paper_refits_the_classifier(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    rows = [json.loads(line) for line in open(relevance.LABELLED_PAPERS)]
    small = [row for row in rows if row["of_interest"]][:5] + [row for row in rows if not row["of_interest"]][:15]
    (tmp_path / "labelled.jsonl").write_text("".join(json.dumps(row) + "\n" for row in small))
    (tmp_path / "seeds.jsonl").write_text("")
    monkeypatch.setattr(relevance, "LABELLED_PAPERS", tmp_path / "labelled.jsonl")
    monkeypatch.setattr(relevance, "SEED_PAPERS", tmp_path / "seeds.jsonl")
    accepted, rejected = PaperFactory(), PaperFactory()
    monday = dt.date(2026, 6, 22)
    Decision.objects.create(week=monday, paper=accepted, verdict=Decision.Verdict.ACCEPT)
    Decision.objects.create(
        week=monday - dt.timedelta(days=7),
        paper=rejected,
        verdict=Decision.Verdict.ACCEPT,
        decided_at=dt.datetime(2026, 6, 16, tzinfo=dt.UTC),
    )
    Decision.objects.create(week=monday, paper=rejected, verdict=Decision.Verdict.REJECT)

    out = StringIO()
    call_command("refit_relevance", stdout=out)
    assert "20 shipped examples and 2 verdicts from people" in out.getvalue()
    assert relevance.refit_path().exists()
