"""/papers/ in a real browser: the list renders, and htmx pagination swaps pages in place."""

import datetime as dt

import pytest

from apps.papers.views import PAPERS_PER_PAGE
from tests.factories import PaperFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_papers_page_lists_and_paginates_without_a_reload(page):
    newest = PaperFactory(
        announced=dt.date(2026, 6, 30), title="Newest: two-tower retrieval", abstract="We study a < b & c."
    )
    PaperFactory.create_batch(PAPERS_PER_PAGE, announced=dt.date(2026, 6, 20))
    oldest = PaperFactory(announced=dt.date(2026, 3, 2), title="Oldest: collaborative filtering")

    page.goto("/papers/")
    assert page.get_by_role("heading", name="New RecSys papers").is_visible()
    assert page.get_by_role("link", name=newest.title).get_attribute("href") == f"/papers/{newest.arxiv_id}/"
    assert page.get_by_role("link", name=f"arXiv:{newest.arxiv_id}v1").get_attribute("href") == newest.abs_url
    page.locator(f"[id='paper-{newest.arxiv_id}'] summary").click()
    assert page.locator(f"[id='paper-{newest.arxiv_id}'] .abstract p").inner_text() == "We study a < b & c."
    assert page.get_by_text(oldest.title).count() == 0

    page.evaluate("window.notReloaded = true")
    page.get_by_role("link", name="Older →").click()
    page.get_by_text(oldest.title).wait_for()
    assert page.url.endswith("/papers/?page=2")
    assert page.evaluate("window.notReloaded") is True  # swapped by htmx, not a full page load
    assert page.get_by_text("Page 2 of 2").is_visible()
