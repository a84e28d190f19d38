"""/search/ in a real browser: every match mode can be chosen and reruns the search in place; LaTeX in
snippets is rendered; an arXiv id opens its paper."""

import pytest

from tests.search.conftest import embedded_topical, encoder  # noqa: F401 (fixtures)
from tests.search.factories import RADAR_POSE, SEQUENTIAL_REC

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def results(page) -> list[str]:
    return [item.get_attribute("id").removeprefix("result-") for item in page.locator("#search-results li.paper").all()]


def test_every_match_mode_can_be_chosen_and_reruns_the_search(page, embedded_topical):  # noqa: F811
    page.goto("/search/?q=radar+recommendation")
    assert page.get_by_role("radio", name="Hybrid").is_checked()
    assert results(page)[0] == RADAR_POSE
    page.evaluate("window.notReloaded = true")

    page.get_by_role("radio", name="Keywords").check()
    page.get_by_text("No papers match").wait_for()
    assert "mode=keyword" in page.url and results(page) == []

    page.get_by_role("radio", name="Meaning").check()
    page.locator(f"[id='result-{RADAR_POSE}']").wait_for()
    assert "mode=semantic" in page.url

    page.locator("#id_q").fill("sequential recommendation")
    page.get_by_role("radio", name="Hybrid").check()
    page.wait_for_url("**mode=hybrid**")
    page.locator(f"[id='result-{SEQUENTIAL_REC}']").wait_for()
    assert results(page)[0] == SEQUENTIAL_REC
    assert page.evaluate("window.notReloaded") is True


def test_an_arxiv_id_typed_in_the_header_opens_the_paper(page, embedded_topical):  # noqa: F811
    page.goto("/")
    page.get_by_placeholder("Search papers").fill(f"https://arxiv.org/abs/{RADAR_POSE}v1")
    page.get_by_placeholder("Search papers").press("Enter")
    page.wait_for_url(f"**/papers/{RADAR_POSE}/")
    assert page.get_by_role("heading", level=1).inner_text() == embedded_topical[RADAR_POSE].title


def test_latex_in_snippets_is_rendered(page):
    from tests.factories import PaperFactory

    PaperFactory(title="Bandits with $\\sqrt{T}$ regret", abstract="Our bandits reach $\\tilde{O}(\\sqrt{T})$ regret.")
    page.goto("/search/?q=bandits&mode=keyword")
    page.locator(".snippet .katex").first.wait_for()
    assert "\\tilde" not in page.locator(".snippet").inner_text()
    assert page.locator(".paper-title .katex").count() == 1
