"""The newsletter's pages in a real browser, at a phone's width: unsubscribing from an email's link,
resubscribing from settings, a forged link, and the editors' preview."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from apps.accounts.models import EmailFrequency, Profile
from apps.accounts.services import EDITORS_GROUP
from apps.newsletters.compose import edition_for, newsletter_for
from tests.factories import USER_PASSWORD, UserFactory
from tests.newsletters.conftest import WEEK, make_week_papers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()


def test_unsubscribe_from_the_emails_link_then_resubscribe_in_settings(page, live_server, settings):
    cache.clear()
    make_week_papers()
    settings.SITE_URL = live_server.url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    reader = UserFactory()
    Profile.objects.create(user=reader)
    text = newsletter_for(edition=edition_for(WEEK), user=reader).text
    link = re.search(r"Unsubscribe: (\S+)", text).group(1)
    page.set_viewport_size(PHONE)

    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Unsubscribe from the weekly email?"
    assert fits_the_phone(page)
    assert Profile.objects.get(user=reader).email_frequency == EmailFrequency.WEEKLY  # opening it changes nothing
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You’re unsubscribed").wait_for()
    assert reader.email in page.get_by_role("status").inner_text()
    assert Profile.objects.get(user=reader).email_frequency == EmailFrequency.OFF

    page.get_by_role("link", name="settings").click()  # not logged in: the login form, then settings
    page.get_by_label("Email").fill(reader.email)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Weekly digest").check()
    page.get_by_role("button", name="Save settings").click()
    page.get_by_role("status").wait_for()
    assert Profile.objects.get(user=reader).email_frequency == EmailFrequency.WEEKLY


def test_a_forged_unsubscribe_link_explains_itself_and_changes_nothing(page, db):
    reader = UserFactory()
    Profile.objects.create(user=reader)
    page.set_viewport_size(PHONE)
    response = page.goto("/newsletters/unsubscribe/WzEsImFkYUBleGFtcGxlLm9yZyJd:1abcde:forgedsignature/")
    assert response.status == 400
    assert page.get_by_role("heading", level=1).inner_text() == "This link doesn’t work"
    assert page.get_by_text("Nothing was changed").is_visible() and fits_the_phone(page)
    assert Profile.objects.get(user=reader).email_frequency == EmailFrequency.WEEKLY


def test_an_editor_previews_a_readers_email(page, settings):
    cache.clear()
    week_papers = make_week_papers()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    editor, reader = UserFactory(is_staff=True), UserFactory()  # editors are staff (the panel's link needs both)
    editor.groups.add(Group.objects.get_or_create(name=EDITORS_GROUP)[0])
    Profile.objects.create(user=reader, time_zone="Asia/Tokyo")
    page.set_viewport_size(PHONE)
    log_in(page, editor)

    page.get_by_role("link", name="Curation").click()
    page.get_by_role("link", name="Newsletters").click()
    page.get_by_role("link", name="Preview").click()
    page.get_by_label("Week").select_option(WEEK.label)
    page.get_by_label("Reader’s email").fill(reader.email)
    page.get_by_role("button", name="Preview").click()
    frame = page.frame_locator("iframe.email-frame")
    frame.get_by_role("heading", name=re.compile("week of 23 November 2026")).wait_for()
    assert frame.get_by_text("(Asia/Tokyo)").is_visible()
    assert (
        frame.get_by_role("link", name=week_papers[0].title)
        .get_attribute("href")
        .endswith(f"/papers/{week_papers[0].arxiv_id}/")
    )
    assert fits_the_phone(page)
