"""The seminar in a real browser, on a desktop and at a 390 px phone width: a reader finds a paper in the
catalogue search (htmx), claims an open session, and another reader takes the last seat, then gives it up."""

import datetime as dt
import zoneinfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.accounts.models import Profile
from apps.seminars.models import RSVP, Talk
from tests.factories import USER_PASSWORD, PaperFactory, UserFactory
from tests.seminars.factories import SeriesFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.parametrize("width", [1280, 390])
def test_sign_up_to_present_and_rsvp_without_a_reload(browser, live_server, settings, width):
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    session = SessionFactory(capacity=1)
    paper = PaperFactory(title="Corrected logQ for two-tower retrievers")
    PaperFactory(title="An unrelated paper on graph clustering")
    speaker, attendee = UserFactory(), UserFactory()
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 800})
    page = context.new_page()

    log_in(page, speaker)
    page.get_by_role("link", name="Seminar").click()
    page.get_by_role("link", name="Open: no speaker yet").click()
    page.get_by_role("heading", name="Present a paper here").wait_for()
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Find the paper in the catalogue").fill("logQ")
    page.get_by_label("Corrected logQ for two-tower retrievers").check()  # appears as you type (htmx)
    assert page.evaluate("window.notReloaded") is True
    assert page.get_by_text("graph clustering").count() == 0
    page.get_by_role("button", name="Claim this session").click()
    page.get_by_text("You are presenting this session").wait_for()
    assert page.get_by_role("heading", name=paper.title).is_visible()
    assert Talk.objects.get(session=session).speaker == speaker
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll

    context.clear_cookies()
    log_in(page, attendee)
    page.goto(f"/seminars/sessions/{session.pk}/")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="I'll attend").click()
    page.get_by_role("button", name="✓ Going · cancel").wait_for()
    assert page.get_by_text("1 going of 1 seats").is_visible()
    assert RSVP.objects.get(user=attendee).status == "going"
    page.get_by_role("button", name="✓ Going · cancel").click()
    page.get_by_role("button", name="I'll attend").wait_for()
    assert page.evaluate("window.notReloaded") is True
    assert RSVP.objects.get(user=attendee).status == "cancelled"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_no_seminar_page_scrolls_sideways_from_320_to_1280_px(browser, live_server, settings):
    import datetime as dt

    from django.utils import timezone

    from tests.browser.test_phones import LONG, WIDTHS, overflow
    from tests.seminars.factories import SeriesFactory, TalkFactory

    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    series = SeriesFactory(slug="recsys", description=LONG)
    given = TalkFactory(
        session=SessionFactory(series=series, start=timezone.now() - dt.timedelta(days=7)),
        title=f"{LONG}: ranking with $\\mathcal{{O}}(n)$ cost",
    )
    booked = TalkFactory(session=SessionFactory(series=series), title=LONG, abstract=LONG)
    open_session = SessionFactory(series=series, capacity=10)
    reader = UserFactory()
    series.organizers.add(reader)
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    log_in(page, reader)
    paths = [
        "/seminars/",
        "/seminars/recsys/",
        "/seminars/recsys/archive/",
        f"/seminars/sessions/{booked.session_id}/",
        f"/seminars/sessions/{open_session.pk}/?q=ranking",
        f"/seminars/present/{given.paper.arxiv_id}/",
        "/seminars/mine/",
        "/seminars/recsys/manage/",
        f"/seminars/speakers/{booked.speaker_id}/",
    ]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths:
            page.goto(path)
            assert overflow(page) <= 0, f"{path} at {width} px is {overflow(page)} px too wide"
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_visitor_sees_seminar_times_in_the_browsers_zone_a_reader_in_their_profiles(
    browser, live_server, settings, width
):
    """A New York session at 13:00 is 18:00 in a Lisbon browser; a Tokyo reader's profile wins over it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    new_york = zoneinfo.ZoneInfo("America/New_York")
    session = SessionFactory(
        series=SeriesFactory(time_zone="America/New_York"),
        start=dt.datetime(timezone.now().year + 1, 7, 7, 13, 0, tzinfo=new_york),  # summer, in the future
    )
    year = session.start.year
    viewport = {"width": width, "height": 800}
    lisbon = browser.new_context(base_url=live_server.url, viewport=viewport, timezone_id="Europe/Lisbon")
    page = lisbon.new_page()

    page.goto("/seminars/")
    when = page.locator("time[datetime]").first
    assert when.inner_text().endswith(", 18:00 Europe/Lisbon")
    assert when.get_attribute("title").startswith(f"{session.start.astimezone(new_york):%a %-d %b %Y}, 13:00")
    page.goto(f"/seminars/sessions/{session.pk}/")
    assert f"{year}, 18:00 Europe/Lisbon" in page.locator(".session-when time").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll

    reader = UserFactory()
    Profile.objects.create(user=reader, time_zone="Asia/Tokyo")
    log_in(page, reader)
    page.goto(f"/seminars/sessions/{session.pk}/")
    assert f"{year}, 02:00 Asia/Tokyo" in page.locator(".session-when time").inner_text()  # the next day there
    lisbon.close()

    no_script = browser.new_context(
        base_url=live_server.url, viewport=viewport, timezone_id="Europe/Lisbon", java_script_enabled=False
    )
    page = no_script.new_page()
    page.goto(f"/seminars/sessions/{session.pk}/")
    assert f"{year}, 13:00 America/New York" in page.locator(".session-when time").inner_text()  # the series' clock
    no_script.close()
