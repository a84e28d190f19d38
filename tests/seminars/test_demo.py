"""`make run`'s demo seminar, seeded from the bundled sample: an archive with its cloud, and open slots."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.papers.models import Paper
from apps.papers.services import import_snapshot
from apps.seminars.models import SeminarSeries, Session, Talk, WordCloud
from apps.seminars.selectors import free_sessions
from apps.seminars.services.demo import BOOKED_AHEAD, MIN_PAST_TALKS, PAST_WEEKS, TERM_WEEKS
from config.devstack import SAMPLE_PAPERS

pytestmark = pytest.mark.django_db


def test_the_demo_seminar_has_past_talks_a_term_ahead_and_open_slots_once(settings, tmp_path, capsys):
    settings.RETRIEVER_CLOUDS_DIR = tmp_path
    import_snapshot(SAMPLE_PAPERS)
    call_command("create_demo_editor")
    call_command("seed_demo_seminar")
    series = SeminarSeries.objects.get()
    assert series.sessions.past().count() == PAST_WEEKS and series.sessions.upcoming().count() == TERM_WEEKS
    assert Talk.objects.filter(session__in=series.sessions.past()).count() == PAST_WEEKS
    assert free_sessions(series=series).count() == TERM_WEEKS - BOOKED_AHEAD
    cloud = WordCloud.objects.get(key=f"series:{series.slug}")
    assert cloud.titles == PAST_WEEKS and (tmp_path / cloud.image).exists()
    assert list(series.organizers.values_list("username", flat=True)) == ["editor"]

    call_command("seed_demo_seminar")  # every `make run` calls it: nothing new
    assert SeminarSeries.objects.count() == 1 and Talk.objects.count() == PAST_WEEKS + BOOKED_AHEAD
    assert "exists already" in capsys.readouterr().out


def test_a_small_catalogue_gives_a_shorter_history_each_talk_on_a_paper_announced_before_it(settings, tmp_path, client):
    """`make run`'s classifier keeps about fifty sample papers, few of them in cs.IR: the demo takes what is
    there (it once asked for 43 recommender titles in cs.IR, and /seminars/ stayed empty)."""
    settings.RETRIEVER_CLOUDS_DIR = tmp_path
    papers = 12
    rows = [json.loads(line) for line in SAMPLE_PAPERS.read_text().splitlines()]
    in_cs_ir = [row for row in rows if "cs.IR" in row["categories"]][:2]
    outside = [row for row in rows if "cs.IR" not in row["categories"] and "recommend" in row["title"].lower()]
    few = [json.dumps(row) for row in in_cs_ir + outside[: papers - len(in_cs_ir)]]
    sample = tmp_path / "few.jsonl"
    sample.write_text("\n".join(few) + "\n")
    import_snapshot(sample)
    papers = Paper.objects.count()  # what the relevance rule let in
    assert MIN_PAST_TALKS + BOOKED_AHEAD <= papers < PAST_WEEKS + BOOKED_AHEAD

    call_command("seed_demo_seminar")
    series = SeminarSeries.objects.get()
    past = Talk.objects.filter(session__in=series.sessions.past()).select_related("session", "paper")
    assert len(past) == papers - BOOKED_AHEAD
    assert series.sessions.upcoming().count() == TERM_WEEKS
    for talk in past:
        assert talk.paper.announced <= timezone.localdate(talk.session.start, series.zone)
    page = client.get("/seminars/").content.decode()
    assert series.name in page
    for talk in Talk.objects.filter(session__in=series.sessions.upcoming()):
        assert talk.title in page


def test_too_few_papers_leave_no_half_made_series(tmp_path):
    lines = SAMPLE_PAPERS.read_text().splitlines()[: MIN_PAST_TALKS + BOOKED_AHEAD - 1]
    sample = tmp_path / "fewer.jsonl"
    sample.write_text("\n".join(lines) + "\n")
    import_snapshot(sample)
    assert Paper.objects.count() < MIN_PAST_TALKS + BOOKED_AHEAD

    call_command("seed_demo_seminar")
    assert not SeminarSeries.objects.exists() and not Session.objects.exists()


def test_demo_sessions_are_at_six_in_the_evening_moscow_time_whatever_the_servers_zone(settings, tmp_path):
    settings.RETRIEVER_CLOUDS_DIR = tmp_path
    import_snapshot(SAMPLE_PAPERS)
    call_command("seed_demo_seminar")
    series = SeminarSeries.objects.get()
    for session in series.sessions.all():
        local = timezone.localtime(session.start, series.zone)
        assert (local.weekday(), local.time()) == (series.weekday, dt.time(18, 0))
        assert session.start.utcoffset() is not None
