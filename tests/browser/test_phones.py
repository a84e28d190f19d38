"""Every page fits the screen from a 320 px phone to a 1280 px laptop, the header wraps, controls are
visible (WCAG 1.4.11: 3:1 for their borders) and primary buttons look like buttons."""

import datetime as dt

import pytest
from django.core.cache import cache

from tests.factories import PaperFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [320, 390, 768, 1280]
LONG = "Hyper" + "personalised" * 8  # one unbreakable word, as arXiv titles sometimes have


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def luminance(rgb: str) -> float:
    channels = [int(x) / 255 for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def site(django_user_model, settings):
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    paper = PaperFactory(
        announced=dt.date(2026, 6, 23),
        title=f"{LONG}: a two-tower retriever with $\\mathcal{{O}}(n)$ cost",
        authors_text=", ".join(f"Author Number{i}" for i in range(40)),
    )
    PaperFactory.create_batch(3, announced=dt.date(2026, 6, 24))
    django_user_model.objects.create_user("phone@example.org", "phone@example.org", "correct horse battery")
    return paper


def log_in(page):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("phone@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_no_page_scrolls_sideways_from_320_to_1280_px(page, site):
    paths = [
        "/digest/2026-W26/",
        "/digest/2026-W26/?view=expanded",
        "/search/?q=retriever&mode=keyword",
        "/papers/",
        f"/papers/{site.arxiv_id}/",
        "/accounts/login/",
        "/accounts/signup/",
    ]
    for signed_in in (False, True):
        if signed_in:
            log_in(page)
            paths += ["/library/", "/accounts/settings/", "/onboarding/?topics=ctr&step=rate"]
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            for path in paths:
                page.goto(path)
                assert overflow(page) <= 0, f"{path} at {width} px is {overflow(page)} px too wide"


def test_at_390_px_the_whole_header_is_on_screen(page, site):
    log_in(page)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/digest/2026-W26/")
    for name in ("Digest", "Search", "Library", "Settings"):
        box = page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
    box = page.get_by_role("button", name="Log out").bounding_box()
    assert box["x"] + box["width"] <= 390


def test_controls_have_3_to_1_borders_and_primary_buttons_are_styled(page, site):
    log_in(page)
    page.goto("/digest/2026-W26/")
    background = page.evaluate("getComputedStyle(document.querySelector('.paper.card')).backgroundColor")
    background = "rgb(255, 255, 255)" if background == "rgba(0, 0, 0, 0)" else background
    border = page.locator(".action.like").first.evaluate("el => getComputedStyle(el).borderTopColor")
    assert contrast(border, "rgb(251, 251, 253)") >= 3 and contrast(border, background) >= 3
    page.goto("/search/?q=retriever&mode=keyword")
    query_border = page.locator("#id_q").evaluate("el => getComputedStyle(el).borderTopColor")
    assert contrast(query_border, "rgb(255, 255, 255)") >= 3
    search = page.locator(".search-form button[type=submit]").evaluate("el => getComputedStyle(el).backgroundColor")
    assert search == "rgb(31, 95, 191)"  # the accent, not the browser's grey
    like = page.locator(".action.like").first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert like == "rgb(255, 255, 255)"  # card actions stay quiet


def test_the_expanded_view_shows_abstracts_inline(page, site):
    page.goto("/digest/2026-W26/")
    assert page.locator(".abstract-inline").count() == 0
    page.get_by_role("link", name="Expanded view: abstracts and scores").click()
    page.wait_for_url("**view=expanded**")
    assert page.locator(".abstract-inline").count() == 4 and page.locator("details.abstract").count() == 0
    page.get_by_role("link", name="Compact view").click()
    page.locator("details.abstract").first.wait_for()
