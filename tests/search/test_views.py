import pytest
from django.urls import reverse

from apps.papers.models import Paper
from apps.search import queries
from tests.search.factories import RADAR_POSE, SEQUENTIAL_REC, SPARSE_REC, PaperFactory

pytestmark = pytest.mark.django_db
SEARCH = reverse("search:search")


def test_the_page_and_the_htmx_partial_come_from_one_view(client):
    PaperFactory(title="Bandits for ranking")
    body = client.get(SEARCH, {"q": "bandits", "mode": "keyword"}).content.decode()
    assert "<html" in body and 'aria-live="polite"' in body and "1 result in" in body
    assert "<mark>Bandits</mark>" in body and f'action="{SEARCH}"' in body

    partial = client.get(SEARCH, {"q": "bandits", "mode": "keyword"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "1 result in" in partial


def test_an_empty_query_asks_for_one(client):
    for params in ({}, {"q": ""}, {"q": "   "}):
        response = client.get(SEARCH, params)
        assert response.status_code == 200
        assert queries.EMPTY_QUERY in response.content.decode()


def test_the_query_box_is_limited_on_client_and_server(client):
    response = client.get(SEARCH, {"q": "x" * 10_000})
    body = response.content.decode()
    assert response.status_code == 200
    assert queries.QUERY_TOO_LONG in body
    assert f'maxlength="{queries.MAX_QUERY_LENGTH}"' in body


@pytest.mark.parametrize(
    "query",
    [
        '"unclosed quote',
        "a & b | !c <-> d:* (e",
        "'; DROP TABLE papers_paper; --",
        "1 OR 1=1",
        "推荐系统 🤖 naïve Ünïcödé",
        "nul\x00byte and \x1b escape",
        "-",
        "the of and",
        "\\",
    ],
)
@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_hostile_queries_get_sane_answers(client, query, mode):
    PaperFactory(title="Ranking papers")
    response = client.get(SEARCH, {"q": query, "mode": mode})
    assert response.status_code == 200
    assert Paper.objects.count() == 1


def test_bad_filters_explain_themselves(client):
    response = client.get(SEARCH, {"q": "x", "date_from": "2026-03-01", "date_to": "2026-01-01"})
    assert queries.BAD_DATE_RANGE in response.content.decode()
    response = client.get(SEARCH, {"q": "x", "date_from": "yesterday", "mode": "sorcery", "page": "abc"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def test_no_match_says_so(client):
    response = client.get(SEARCH, {"q": "zzyzx", "mode": "keyword"})
    assert queries.NO_RESULTS in response.content.decode()


def test_pagination_links_keep_the_query_and_work_without_javascript(client):
    PaperFactory.create_batch(25, title="Ranking again")
    body = client.get(SEARCH, {"q": "ranking", "mode": "keyword"}).content.decode()
    assert 'href="?q=ranking&amp;mode=keyword&amp;page=2"' in body
    assert "Page 1 of 2" in body


def test_paper_page_shows_similar_papers_without_itself(client, embedded_topical):
    response = client.get(reverse("paper-detail", args=[SEQUENTIAL_REC]))
    body = response.content.decode()
    similar = body.split('id="similar-heading"')[1]
    assert f"result-{SPARSE_REC}" in similar and f"result-{SEQUENTIAL_REC}" not in similar
    assert similar.index(SPARSE_REC) < similar.index(RADAR_POSE)


def test_paper_page_before_embedding_and_for_unknown_ids(client):
    paper = PaperFactory(arxiv_id="2601.00041")
    assert queries.NOT_EMBEDDED_YET in client.get(reverse("paper-detail", args=["2601.00041v2"])).content.decode()
    assert client.get(reverse("paper-detail", args=["2601.99999"])).status_code == 404
    assert paper.title in client.get(reverse("paper-detail", args=[paper.arxiv_id])).content.decode()


def test_find_papers_like_a_pasted_abstract(client, embedded_topical):
    url = reverse("search:like")
    text = "We model each user's sequence of purchases to recommend the next product they will buy."
    response = client.post(url, {"text": text}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert body.index(f"result-{SEQUENTIAL_REC}") < body.index(f"result-{RADAR_POSE}")

    assert queries.TEXT_TOO_LONG in client.post(url, {"text": "word " * 2000}).content.decode()
    assert queries.TEXT_TOO_SHORT in client.post(url, {"text": "two words"}).content.decode()
    assert client.get(url).status_code == 200


def test_the_category_menu_offers_cross_listed_categories(client):
    PaperFactory(title="Ranking", primary_category="cs.CL", categories=["cs.CL", "cs.IR"])
    body = client.get(SEARCH, {"q": "ranking", "category": "cs.IR", "mode": "keyword"}).content.decode()
    assert '<option value="cs.IR" selected>cs.IR</option>' in body
    assert "1 result in" in body


def test_the_match_mode_is_a_radio_group_with_the_running_mode_checked(client):
    body = client.get(SEARCH, {"q": "ranking"}).content.decode()
    for mode in ("hybrid", "keyword", "semantic"):
        assert f'type="radio" name="mode" value="{mode}"' in body
    assert 'value="hybrid" id="id_mode_0" checked' in body
    body = client.get(SEARCH, {"q": "ranking", "mode": "semantic"}).content.decode()
    assert 'value="semantic" id="id_mode_2" checked' in body and 'value="hybrid" id="id_mode_0" checked' not in body


@pytest.mark.parametrize(
    "query",
    ["2601.00051", "arXiv:2601.00051v2", "https://arxiv.org/abs/2601.00051", "https://arxiv.org/pdf/2601.00051v1"],
)
def test_an_arxiv_id_or_url_goes_straight_to_the_paper(client, query):
    PaperFactory(arxiv_id="2601.00051")
    paper_url = reverse("paper-detail", args=["2601.00051"])
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 302 and response.url == paper_url
    response = client.get(SEARCH, {"q": query}, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == paper_url


def test_an_arxiv_id_outside_the_catalogue_says_so_and_links_to_arxiv(client):
    body = client.get(SEARCH, {"q": "2601.09999"}).content.decode()
    assert queries.NOT_IN_CATALOGUE.format(arxiv_id="2601.09999") in body
    assert 'href="https://arxiv.org/abs/2601.09999"' in body


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_gibberish_matches_nothing_well_by_meaning(client, embedded_topical, mode):
    body = client.get(SEARCH, {"q": "zzqqxx flarbo", "mode": mode}).content.decode()
    assert queries.NO_GOOD_MATCH in body and "result-" not in body


def test_results_and_similar_papers_carry_the_readers_buttons(client, embedded_topical, django_user_model):
    reader = django_user_model.objects.create_user("s@example.org", "s@example.org", "pw-123456789")
    client.force_login(reader)
    body = client.get(SEARCH, {"q": "recommendation", "mode": "keyword"}).content.decode()
    paper = embedded_topical[SEQUENTIAL_REC]
    assert f'id="actions-{paper.id}"' in body and 'name="source" value="search"' in body
    detail = client.get(reverse("paper-detail", args=[SPARSE_REC])).content.decode()
    similar = detail.split('id="similar-heading"')[1]
    assert f'id="actions-{paper.id}"' in similar and "♡ Like" in similar


def test_visitors_are_invited_to_log_in_once_per_page(client, embedded_topical):
    body = client.get(SEARCH, {"q": "recommendation", "mode": "hybrid"}).content.decode()
    assert body.count("result-") >= 2 and body.count("to like, save or dismiss") == 1
    detail = client.get(reverse("paper-detail", args=[SPARSE_REC])).content.decode()
    assert detail.count("to like, save or dismiss") == 1


def test_snippets_render_latex_and_marks_stay_out_of_math(client):
    PaperFactory(
        title="Bandits in $\\mathcal{O}(\\log T)$", abstract="Regret of bandits is $\\tilde{O}(\\sqrt{T})$ for bandits."
    )
    body = client.get(SEARCH, {"q": "bandits", "mode": "keyword"}).content.decode()
    assert 'class="snippet math"' in body and "katex.min.js" in body
    assert "$\\tilde{O}(\\sqrt{T})$" in body and "<mark>bandits</mark>" in body
