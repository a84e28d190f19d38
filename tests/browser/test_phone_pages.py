"""The pages no other browser test opens at a phone's width (For you, the archive, the account pages, the
curation panel's audit, operations and newsletters) fit a 320 and a 390 px screen, and their main
control is on it."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import timezone

from apps.accounts.services import EDITORS_GROUP
from apps.curation.models import AuditEntry, Job
from apps.newsletters import outbox
from apps.papers.models import IngestRun
from apps.recommendations.models import ModelVersion
from apps.seminars.models import Talk
from tests.browser.conftest import log_in
from tests.factories import PaperFactory, UserFactory
from tests.seminars.factories import TalkFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONG = "Hyper" + "personalised" * 8  # one unbreakable word, as arXiv titles and error messages have
METRICS = {f"{name}@{k}": 0.1234 for name in ("recall", "ndcg", "coverage") for k in (10, 20, 100)}


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def editor(settings):
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    editor = UserFactory(email="editor@example.org", is_staff=True)
    editor.groups.add(Group.objects.get_or_create(name=EDITORS_GROUP)[0])
    paper = PaperFactory(announced=dt.date(2026, 6, 23), title=f"{LONG}: a two-tower retriever")
    PaperFactory.create_batch(3, announced=dt.date(2026, 6, 24))
    AuditEntry.objects.create(
        actor=editor, action="pick.note", week=dt.date(2026, 6, 22), target=paper.title, after={"note": LONG * 3}
    )
    now = timezone.now()
    IngestRun.objects.create(
        source=IngestRun.Source.ARXIV_API,
        status=IngestRun.Status.FAILED,
        query="cat:cs.IR OR cat:cs.LG OR cat:cs.AI OR cat:cs.CL OR cat:stat.ML " * 3,
        error_message=f"arXiv answered 503: {LONG}",
        finished_at=now,
    )
    history = [{"epoch": i, "loss": 5 - i / 10, "val_hit@20": 0.1 + i / 100} for i in range(10)]
    ModelVersion.objects.create(
        status=ModelVersion.Status.ACTIVE,
        metrics=METRICS,
        baselines={"popularity": METRICS, "ease": METRICS},
        history=history,
        interactions=3396,
        readers=413,
        finished_at=now,
        activated_at=now,
    )
    ModelVersion.objects.create(status=ModelVersion.Status.FAILED, error=f"Traceback: {LONG}", finished_at=now)
    Job.objects.create(kind=Job.Kind.BACKFILL, task_id="t-1", params={"since": "2026-01-01", "until": "2026-02-01"})
    talk = TalkFactory(speaker=editor, title=LONG, abstract=LONG, session__series__description=LONG)
    talk.session.series.organizers.add(editor)
    return editor


def test_pages_without_a_phone_test_elsewhere_fit_320_and_390_px(page, editor, settings, tmp_path):
    settings.EMAIL_BACKEND = "apps.newsletters.outbox.OutboxBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    message = EmailMultiAlternatives(f"Your week: {LONG}", LONG, to=["reader@example.org"], connection=get_connection())
    message.attach_alternative(f"<p>{LONG}</p>", "text/html")
    message.send()
    job, talk = Job.objects.get(), Talk.objects.get()
    paths = [
        "/for-you/",
        "/digest/archive/",
        "/accounts/password_change/",
        "/accounts/delete/",
        "/curation/",
        "/curation/audit/",
        "/curation/operations/",
        f"/curation/operations/jobs/{job.pk}/",
        "/curation/newsletters/",
        "/curation/newsletters/preview/",
        "/curation/newsletters/emails/",
        f"/curation/newsletters/emails/{outbox.kept_emails()[0].name}/",
        f"/curation/weeks/2026-W26/preview/?reader={editor.email}",
        f"/seminars/sessions/{talk.session_id}/edit/",
        f"/seminars/talks/{talk.pk}/edit/",
        "/no-such-page/",
    ]
    too_wide = []
    for signed_in in (False, True):
        if signed_in:
            log_in(page, editor.email)
        for width in (320, 390):
            page.set_viewport_size({"width": width, "height": 800})
            for path in (
                ["/accounts/password_reset/", "/accounts/password_reset/done/", "/digest/archive/"]
                if not signed_in
                else paths
            ):
                status = page.goto(path).status
                assert status == (404 if path == "/no-such-page/" else 200), (path, status)
                if overflow(page) > 0:
                    too_wide.append(f"{path} at {width} px is {overflow(page)} px too wide")
    assert not too_wide, too_wide


@pytest.mark.parametrize(
    "path, buttons",
    [
        ("/curation/operations/", ["Ingest now", "Backfill", "Embed missing papers now", "Train now"]),
        ("/accounts/password_change/", ["Change password"]),
        ("/accounts/delete/", ["Delete my account"]),
    ],
)
def test_a_pages_buttons_are_on_a_390_px_screen(page, editor, path, buttons):
    log_in(page, editor.email)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(path)
    for name in buttons:
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, name


def test_at_320_px_an_editors_whole_header_and_panel_menu_are_on_screen(page, editor):
    log_in(page, editor.email)
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto("/curation/operations/")
    header = page.get_by_role("navigation", name="Main")
    links = [header.get_by_role("link", name=name, exact=True) for name in ("Curation", "Admin", "Settings")]
    for control in [*links, page.get_by_role("button", name="Log out")]:
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320
    panel_links = page.get_by_role("navigation", name="Curation").get_by_role("link").all()
    assert len(panel_links) >= 4
    for link in panel_links:
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320, link.inner_text()
