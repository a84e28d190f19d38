"""Accounts in a real browser: sign up, log out, log in, change the time zone."""

import pytest
from django.core.cache import cache

from apps.accounts.models import Profile
from apps.accounts.views import SETTINGS_SAVED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "ada@example.org"
PASSWORD = "correct horse battery staple"


def test_sign_up_log_out_log_in_and_change_time_zone(page, settings):
    cache.clear()  # login failures counted by earlier tests must not lock this one out
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("button", name="Log out").wait_for()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(EMAIL.upper())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Settings").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Settings"
    page.get_by_label("Time zone").select_option("Europe/Amsterdam")
    page.get_by_label("No emails").check()
    page.get_by_role("button", name="Save settings").click()

    page.get_by_text(SETTINGS_SAVED).wait_for()
    assert page.get_by_label("Time zone").input_value() == "Europe/Amsterdam"
    profile = Profile.objects.get(user__email=EMAIL)
    assert (profile.time_zone, profile.email_frequency) == ("Europe/Amsterdam", "off")
