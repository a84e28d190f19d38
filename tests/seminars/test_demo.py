"""`make run`'s demo seminar, seeded from the bundled sample: an archive with its cloud, and open slots."""

import pytest
from django.core.management import call_command

from apps.papers.services import import_snapshot
from apps.seminars.models import SeminarSeries, Talk, WordCloud
from apps.seminars.selectors import free_sessions
from apps.seminars.services.demo import BOOKED_AHEAD, PAST_WEEKS, TERM_WEEKS
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
