"""Abstracts' LaTeX is typeset by the vendored KaTeX, on the page and after an htmx swap."""

import datetime as dt

import pytest
from django.core.cache import cache

from tests.factories import PaperFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_latex_in_abstracts_is_rendered(page):
    cache.clear()  # factory papers bump no serving generation: an earlier test's cached week must go
    paper = PaperFactory(announced=dt.date(2026, 6, 24), abstract=r"We bound the risk by $\alpha^2 + \beta$ exactly.")
    PaperFactory(announced=dt.date(2026, 6, 17), abstract=r"Older: $\sum_i x_i$.")
    page.goto("/digest/2026-W26/")
    card = page.locator(f"[id='paper-{paper.arxiv_id}']")
    card.locator("summary").click()
    card.locator(".katex").first.wait_for()
    assert "$" not in card.locator(".abstract p").inner_text()

    page.get_by_role("link", name="← 2026-W25").click()  # swapped in by htmx
    page.locator(".abstract .katex").first.wait_for(state="attached")
