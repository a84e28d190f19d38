"""For you's "New for you" slot in a real browser, on a laptop and at a phone's 390 px: a labelled region of
papers nobody has read yet, each saying why, whose like and dismiss buttons work in place; an empty state
when nothing qualifies."""

import datetime as dt

import pytest

from apps.recommendations.models import Interaction
from apps.recommendations.ranking.new_papers import NEW_FOR_YOU
from apps.recommendations.services import interaction_toggle
from tests.browser.conftest import log_in
from tests.factories import UserFactory
from tests.search.factories import move_near, one_topic_archive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def archive(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    papers = one_topic_archive(60, start=dt.date(2026, 1, 5), categories=lambda i: ["cs.IR"], seed=7)
    other = UserFactory()
    for paper in papers[1:20]:  # read by another reader: not new any more
        interaction_toggle(user=other, paper=paper, kind="save", source="digest")
    return papers


def slot(page):
    return page.get_by_role("region", name="New for you")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_slot_is_labelled_says_why_and_its_buttons_work_in_place(page, archive, width):
    reader = UserFactory()
    interaction_toggle(user=reader, paper=archive[0], kind="like", source="digest")
    # close enough to it for a card to say so; the page's first 20 take the nearest, the slot the rest
    close = {paper.arxiv_id for paper in archive[20:48]}
    move_near(archive[20:48], archive[0], seed=width)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, reader.email)
    page.goto("/for-you/")
    cards = slot(page).locator("li.paper")
    assert cards.count() == NEW_FOR_YOU
    assert slot(page).get_by_role("heading", name="New for you").is_visible()
    shown = [cards.nth(i).get_attribute("id").removeprefix("paper-") for i in range(NEW_FOR_YOU)]
    assert set(shown) <= close  # untouched, and near the liked one
    for i in range(NEW_FOR_YOU):
        assert cards.nth(i).get_by_text(f"Similar to “{archive[0].title}”, which you liked").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    page.evaluate("window.notReloaded = true")
    liked, dismissed = cards.nth(0), cards.nth(1)
    liked.get_by_role("button", name="♡ Like").click()
    liked.get_by_role("button", name="♥ Liked").wait_for()
    dismissed.get_by_role("button", name="✕ Not for me").click()
    dismissed.get_by_role("button", name="Dismissed · undo").wait_for()
    assert page.evaluate("window.notReloaded") is True
    assert Interaction.objects.filter(user=reader, paper__arxiv_id=shown[0], kind="like").exists()

    page.reload()
    after = [cards.nth(i).get_attribute("id").removeprefix("paper-") for i in range(cards.count())]
    assert shown[0] not in after and shown[1] not in after  # read now, and dismissed
    assert page.locator(f"[id='paper-{shown[1]}']").count() == 0  # dismissed: nowhere on the page


def test_the_slot_says_so_when_nothing_qualifies(page, archive):
    reader = UserFactory()  # nothing liked yet: no profile to rank new papers by
    page.set_viewport_size({"width": 390, "height": 900})
    log_in(page, reader.email)
    page.goto("/for-you/")
    assert slot(page).get_by_text("No new papers for you in this window yet").is_visible()
    assert slot(page).locator("li.paper").count() == 0
