import datetime as dt

import pytest
from django.urls import reverse

from apps.papers.views import PAPERS_PER_PAGE
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_empty_catalogue_says_how_to_fill_it(client):
    response = client.get(reverse("papers:list"))
    assert response.status_code == 200
    assert b"No papers yet" in response.content


def test_papers_are_listed_by_announcement_week_newest_first(client):
    old = PaperFactory(announced=dt.date(2026, 6, 1), title="Older paper")
    new = PaperFactory(announced=dt.date(2026, 6, 24), title="Newer paper")
    html = client.get(reverse("papers:list")).content.decode()
    assert html.index(new.title) < html.index(old.title)
    assert "Week 2026-W26" in html and "Week 2026-W23" in html
    assert f'href="https://arxiv.org/abs/{new.arxiv_id}"' in html


def test_abstracts_are_escaped_text(client):
    PaperFactory(abstract="We show that $a < b$ & <script>alert(1)</script> holds.")
    html = client.get(reverse("papers:list")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "$a &lt; b$ &amp; &lt;script&gt;" in html


def test_withdrawn_papers_are_not_listed(client):
    PaperFactory(title="Withdrawn one", withdrawn=True)
    assert b"Withdrawn one" not in client.get(reverse("papers:list")).content


def test_pagination_and_the_htmx_partial(client, django_assert_max_num_queries):
    PaperFactory.create_batch(PAPERS_PER_PAGE + 3)
    with django_assert_max_num_queries(3):
        page_two = client.get(reverse("papers:list"), {"page": 2}, headers={"HX-Request": "true"})
    html = page_two.content.decode()
    assert "<html" not in html  # just the partial
    assert html.count('class="paper"') == 3
    assert "Page 2 of 2" in html
    full = client.get(reverse("papers:list")).content.decode()
    assert "<html" in full and full.count('class="paper"') == PAPERS_PER_PAGE
    assert 'href="?page=2"' in full  # a real link beside hx-get


def test_a_page_number_out_of_range_shows_the_last_page(client):
    PaperFactory.create_batch(2)
    response = client.get(reverse("papers:list"), {"page": 99})
    assert response.status_code == 200 and b"Page 1 of 1" in response.content
