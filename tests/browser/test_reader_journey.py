"""A new reader's first week, in a real browser: sign up, onboard, read the digest, like and dismiss
without a reload, save a paper and find it in the library."""

import datetime as dt

import pytest
from django.core.cache import cache

from apps.recommendations.models import Interaction
from apps.recommendations.onboarding import MIN_RATINGS
from tests.factories import PaperFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def card(page, paper):
    return page.locator(f"[id='paper-{paper.arxiv_id}']")


def test_sign_up_onboard_read_like_dismiss_save_and_find_it_in_the_library(page, settings):
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    older = PaperFactory.create_batch(MIN_RATINGS + 1, announced=dt.date(2026, 6, 10))
    this_week = PaperFactory.create_batch(3, announced=dt.date(2026, 6, 24))
    keep, drop, other = this_week

    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Create account").click()

    page.get_by_role("heading", name="Make Retriever yours").wait_for()
    page.get_by_label("Sequential & session-based recommendation").check()
    page.get_by_role("button", name="Show me papers to rate").click()
    page.get_by_role("heading", name=f"2. Rate at least {MIN_RATINGS} papers").wait_for()
    likes = page.get_by_role("button", name="♡ Like")
    for rated in range(1, MIN_RATINGS + 1):
        likes.last.click()  # the oldest first: this week's papers stay unrated for the digest
        page.locator("#rated-count", has_text=str(rated)).wait_for()
    page.get_by_role("button", name="Done: show my digest").click()

    page.get_by_role("heading", name="Week 2026-W26").wait_for()
    # No paper has a vector yet: the digest says it is not personal yet and how far reading has got.
    assert page.get_by_text("Not ranked for you yet").is_visible()
    assert page.get_by_role("status").filter(has_text="Reading new papers: 0 of").is_visible()
    page.evaluate("window.notReloaded = true")
    card(page, keep).get_by_role("button", name="♡ Like").click()
    card(page, keep).get_by_role("button", name="♥ Liked").wait_for()
    card(page, keep).get_by_role("button", name="☆ Save").click()
    card(page, keep).get_by_role("button", name="★ Saved").wait_for()
    card(page, drop).get_by_role("button", name="✕ Not for me").click()
    card(page, drop).get_by_role("button", name="Dismissed · undo").wait_for()
    assert page.evaluate("window.notReloaded") is True

    page.reload()
    assert card(page, drop).count() == 0 and card(page, other).count() == 1  # dismissed: gone for good

    page.get_by_role("link", name="Library").click()
    page.get_by_role("heading", name="Your library").wait_for()
    assert page.get_by_role("link", name=keep.title).is_visible()
    assert Interaction.objects.filter(kind="like", source="onboarding").count() == MIN_RATINGS
    assert set(Interaction.objects.filter(paper=keep).values_list("kind", flat=True)) == {"like", "save"}
    assert set(Interaction.objects.filter(source="onboarding").values_list("paper", flat=True)) <= {p.id for p in older}
