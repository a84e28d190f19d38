import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from apps.digests import selectors, services
from apps.digests.models import Decision, Digest, Pin
from apps.digests.notes import note_html
from apps.digests.signals import digest_published, week_changed
from apps.papers.weeks import Week
from tests.factories import PaperFactory, UserFactory

WEEK = Week.from_label("2026-W26")  # Monday 22 June 2026


def week_paper(**kwargs):
    return PaperFactory(announced=WEEK.monday + dt.timedelta(days=2), **kwargs)


@pytest.fixture
def received():
    """What digest_published and week_changed sent, in order."""
    sent = []

    def on_published(sender, digest, **kwargs):
        sent.append(("published", digest.pk))

    def on_changed(sender, week, revision, **kwargs):
        sent.append(("changed", week.label, revision))

    digest_published.connect(on_published, dispatch_uid="test-published")
    week_changed.connect(on_changed, dispatch_uid="test-changed")
    yield sent
    digest_published.disconnect(dispatch_uid="test-published")
    week_changed.disconnect(dispatch_uid="test-changed")


@pytest.mark.django_db
def test_publishing_freezes_the_picks_records_who_and_sends_the_signal_on_commit(
    received, django_capture_on_commit_callbacks
):
    editor, paper = UserFactory(), week_paper()
    pin = services.pin_add(week=WEEK, paper=paper, note="*Read* this", by=editor)
    digest = services.digest_get_or_create(week=WEEK)
    with django_capture_on_commit_callbacks(execute=True):
        digest = services.digest_publish(digest=digest, by=editor)

    assert digest.is_published and digest.published_by == editor and digest.published_at is not None
    assert digest.picks == [{"paper": paper.pk, "note": "*Read* this"}]
    assert received == [("changed", WEEK.label, digest.revision), ("published", digest.pk)]
    with pytest.raises(services.DigestStateError, match="frozen"):
        services.pin_update(pin=pin, note="changed", by=editor)
    Pin.objects.filter(pk=pin.pk).update(note="edited behind the panel's back")
    assert selectors.week_picks(WEEK) == [(paper.pk, "*Read* this")]
    with pytest.raises(services.DigestStateError, match="already published"):
        services.digest_publish(digest=digest, by=editor)


@pytest.mark.django_db
def test_unpublish_goes_back_to_draft_until_the_newsletters_start(received):
    editor = UserFactory()
    digest = services.digest_publish(digest=services.digest_get_or_create(week=WEEK), by=editor)
    digest = services.digest_unpublish(digest=digest, by=editor)
    assert digest.status == Digest.Status.DRAFT and digest.published_at is None

    digest = services.digest_publish(digest=digest, by=editor)
    Digest.objects.filter(pk=digest.pk).update(newsletters_started_at=timezone.now())
    with pytest.raises(services.DigestStateError, match="newsletters started"):
        services.digest_unpublish(digest=digest, by=editor)
    assert Digest.objects.get(pk=digest.pk).is_published


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_publishes_publish_once_and_signal_once(received):
    editors = [UserFactory(), UserFactory()]
    digest = services.digest_get_or_create(week=WEEK)
    barrier = threading.Barrier(2)
    outcomes = []

    def press(editor):
        try:
            barrier.wait()
            services.digest_publish(digest=digest, by=editor)
            outcomes.append("published")
        except services.DigestStateError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(editor,)) for editor in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["published", "refused"]
    assert [event for event in received if event[0] == "published"] == [("published", digest.pk)]
    assert Digest.objects.get(pk=digest.pk).published_by in editors


@pytest.mark.django_db
def test_every_change_to_a_week_bumps_its_revision():
    editor, paper = UserFactory(), week_paper()
    revisions = [selectors.week_revision(WEEK)]
    pin = services.pin_add(week=WEEK, paper=paper, note="", by=editor)
    revisions.append(selectors.week_revision(WEEK))
    services.decisions_set(week=WEEK, paper_ids=[week_paper().pk], verdict=Decision.Verdict.REJECT, by=editor)
    revisions.append(selectors.week_revision(WEEK))
    services.pins_reorder(week=WEEK, pin_ids=[pin.pk], by=editor)
    revisions.append(selectors.week_revision(WEEK))
    services.digest_publish(digest=services.digest_get_or_create(week=WEEK), by=editor)
    revisions.append(selectors.week_revision(WEEK))
    assert revisions == sorted(set(revisions)) and len(revisions) == 5
    # Unchanged verdicts change nothing.
    assert services.decisions_set(week=WEEK, paper_ids=[paper.pk], verdict=Decision.Verdict.ACCEPT, by=editor) == {}
    assert selectors.week_revision(WEEK) == revisions[-1]


@pytest.mark.django_db
def test_bad_picks_are_refused_with_a_reason_not_dropped():
    editor, paper = UserFactory(), week_paper()
    services.pin_add(week=WEEK, paper=paper, note="", by=editor)
    with pytest.raises(ValidationError, match="already a pick"):
        services.pin_add(week=WEEK, paper=paper, note="", by=editor)
    with pytest.raises(ValidationError, match="withdrawn"):
        services.pin_add(week=WEEK, paper=week_paper(withdrawn=True), note="", by=editor)
    with pytest.raises(ValidationError, match="under"):
        services.pin_add(week=WEEK, paper=week_paper(), note="x" * 2001, by=editor)
    with pytest.raises(ValidationError, match="exactly"):
        services.pins_reorder(week=WEEK, pin_ids=[], by=editor)
    assert Pin.objects.count() == 1


@pytest.mark.django_db
def test_a_rejected_paper_leaves_the_weeks_digest_for_everyone_and_can_come_back(client):
    editor, kept, rejected = UserFactory(), week_paper(), week_paper()
    services.decisions_set(week=WEEK, paper_ids=[rejected.pk], verdict=Decision.Verdict.REJECT, by=editor)
    url = reverse("digests:week", args=[WEEK.label])
    html = client.get(url).content.decode()
    assert kept.title in html and rejected.title not in html
    client.force_login(UserFactory())
    assert rejected.title not in client.get(url).content.decode()

    services.decisions_set(week=WEEK, paper_ids=[rejected.pk], verdict=None, by=editor)
    assert rejected.title in client.get(url).content.decode()


@pytest.mark.django_db
def test_a_pick_outside_its_papers_week_shows_in_the_published_digest_it_is_pinned_to(client):
    editor = UserFactory()
    week_paper()
    classic = PaperFactory(announced=dt.date(2019, 3, 5), title="An older classic")
    services.pin_add(week=WEEK, paper=classic, note="A **classic**", by=editor)
    url = reverse("digests:week", args=[WEEK.label])
    assert classic.title not in client.get(url).content.decode()  # a draft's picks are not shown yet

    services.digest_publish(digest=services.digest_get_or_create(week=WEEK), by=editor)
    html = client.get(url).content.decode()
    assert classic.title in html and "A <strong>classic</strong>" in html
    assert html.count(classic.title) == 1


def test_notes_render_markdown_and_drop_anything_unsafe():
    html = note_html(
        "**Bold** [ok](https://arxiv.org) [bad](javascript:alert(1)) <script>alert(1)</script> <img src=x onerror=alert(1)>"
    )
    assert "<strong>Bold</strong>" in html and 'href="https://arxiv.org"' in html
    assert "javascript:" not in html and "<script" not in html and "onerror" not in html and "<img" not in html
