import datetime as dt

import pytest
from django.core import signing
from django.core.cache import cache
from django.urls import reverse

from apps.accounts.feed_links import feed_token
from apps.digests.models import Pin
from apps.digests.selectors import CARDS_PER_PAGE
from apps.digests.services import digest_get_or_create, digest_publish
from apps.digests.views import NO_PAPERS_YET
from apps.papers.weeks import BAD_WEEK, Week
from apps.recommendations import services
from apps.recommendations.models import Interaction
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db
WEEK = Week.from_label("2026-W26")  # Monday 22 June 2026


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user("reader@example.org", "reader@example.org", "pw-123456789")


def act(user, paper, kind):
    services.interaction_toggle(user=user, paper=paper, kind=kind, source=Interaction.Source.DIGEST)


def week_papers(n, **kwargs):
    return [PaperFactory(announced=WEEK.monday + dt.timedelta(days=i % 5), **kwargs) for i in range(n)]


def test_digest_redirects_to_the_newest_week_with_papers(client):
    PaperFactory(announced=dt.date(2026, 6, 24))
    PaperFactory(announced=dt.date(2026, 5, 2))
    response = client.get(reverse("digests:latest"))
    assert response.status_code == 302 and response.url == reverse("digests:week", args=["2026-W26"])


def test_an_empty_catalogue_gets_an_empty_state_not_an_error(client):
    response = client.get(reverse("digests:latest"))
    assert response.status_code == 200 and NO_PAPERS_YET in response.content.decode()


@pytest.mark.parametrize("label", ["2026-48", "9999-W52", "0001-W01", "2026-W48%0A", "2026-W48%00", "2026-W99"])
def test_a_malformed_or_extreme_week_is_a_404(client, label):
    assert client.get(f"/digest/{label}/").status_code == 404


def test_week_labels_match_whole_and_stay_in_range():
    for bad in ("2026-W48\n", " 2026-W48", "9999-W52", "1990-W10"):
        with pytest.raises(ValueError):
            Week.from_label(bad)
    assert Week.from_label("2100-W52").next.label == "2101-W01"


def test_week_labels_round_trip_and_reject_nonsense():
    assert Week.from_label("2026-W48").monday == dt.date(2026, 11, 23)
    assert Week.from_label("2026-W48").label == "2026-W48"
    for bad in ("2026-W54", "2026-W00", "26-W01", ""):
        with pytest.raises(ValueError, match=BAD_WEEK):
            Week.from_label(bad)


def test_editors_picks_come_first_with_their_notes(client):
    first, second, third = week_papers(3)
    Pin.objects.create(week=WEEK.monday + dt.timedelta(days=3), paper=third, note="Read this one", order=1)
    digest_publish(digest=digest_get_or_create(week=WEEK), by=None)
    html = client.get(reverse("digests:week", args=[WEEK.label])).content.decode()
    assert "Editors' picks" in html and "Read this one" in html
    assert html.index(third.title) < html.index(first.title) and html.index(third.title) < html.index(second.title)


def test_dismissed_papers_never_show_again_for_that_reader(client, reader):
    kept, dismissed = week_papers(2)
    act(reader, dismissed, Interaction.Kind.DISMISS)
    client.force_login(reader)
    html = client.get(reverse("digests:week", args=[WEEK.label])).content.decode()
    assert kept.title in html and dismissed.title not in html


def test_the_page_costs_the_same_queries_whatever_the_number_of_papers(
    client, reader, django_assert_max_num_queries, django_assert_num_queries
):
    client.force_login(reader)
    act(reader, week_papers(1)[0], Interaction.Kind.LIKE)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("digests:week", args=[WEEK.label]))
    papers = week_papers(60)
    for paper in papers[:10]:
        act(reader, paper, Interaction.Kind.LIKE)
    Pin.objects.create(week=WEEK.monday, paper=papers[20], note="Pick")
    digest_publish(digest=digest_get_or_create(week=WEEK), by=None)
    cache.clear()  # the cost of ranking the week, not of reading it back
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("digests:week", args=[WEEK.label]))
    assert response.content.decode().count('class="paper card"') == 1 + CARDS_PER_PAGE  # the pick, then a page
    # the rendered page, kept (apps.digests.page_cache): session, user, the week's revision (the time
    # zone came with the session)
    with django_assert_max_num_queries(3):
        again = client.get(reverse("digests:week", args=[WEEK.label]))
    assert again.content.decode().count('class="paper card"') == 1 + CARDS_PER_PAGE
    # another page of the week is rendered from the ranked week kept in the cache, whatever its size:
    # session, user, time zone, the week's revision (the page's key) and record, its page of papers, states,
    # the feed link's generation
    with django_assert_max_num_queries(8):
        more = client.get(reverse("digests:week", args=[WEEK.label]) + "?page=2")
    assert more.content.decode().count('class="paper card"') == 61 - 1 - CARDS_PER_PAGE  # less the pick, the first page


def test_previous_and_next_weeks_are_linked(client):
    PaperFactory(announced=WEEK.monday)
    PaperFactory(announced=WEEK.monday - dt.timedelta(days=14))
    html = client.get(reverse("digests:week", args=[WEEK.label])).content.decode()
    assert 'href="/digest/2026-W24/"' in html and "2026-W27" not in html


def test_trending_counts_this_weeks_likes_and_saves(client, reader, django_user_model):
    hot, cold = week_papers(2)
    other = django_user_model.objects.create_user("o@example.org", "o@example.org", "pw-123456789")
    act(reader, hot, Interaction.Kind.SAVE)
    act(other, hot, Interaction.Kind.LIKE)
    Interaction.objects.update(created_at=dt.datetime.combine(WEEK.monday, dt.time(12), tzinfo=dt.UTC))
    html = client.get(reverse("digests:week", args=[WEEK.label])).content.decode()
    trending = html[html.index("Trending this week") :]
    assert hot.title in trending and cold.title not in trending


def test_like_without_javascript_posts_and_redirects_back(client, reader):
    paper = week_papers(1)[0]
    client.force_login(reader)
    page = reverse("digests:week", args=[WEEK.label])
    response = client.post(
        reverse("recommendations:toggle", args=["like", paper.arxiv_id]), {"next": page, "source": "digest"}
    )
    assert response.status_code == 302 and response.url == page
    assert Interaction.objects.get().kind == "like"


def test_like_with_htmx_returns_just_the_buttons(client, reader):
    paper = week_papers(1)[0]
    client.force_login(reader)
    response = client.post(
        reverse("recommendations:toggle", args=["save", paper.arxiv_id]),
        {"source": "digest"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "<html" not in html and f'id="actions-{paper.id}"' in html and "★ Saved" in html


def test_toggling_needs_a_login_and_a_post(client):
    paper = PaperFactory()
    url = reverse("recommendations:toggle", args=["like", paper.arxiv_id])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302 and not Interaction.objects.exists()


def test_an_open_redirect_through_next_is_refused(client, reader):
    paper = PaperFactory()
    client.force_login(reader)
    response = client.post(
        reverse("recommendations:toggle", args=["like", paper.arxiv_id]), {"next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_library_lists_saved_papers_and_exports_bibtex(client, reader):
    saved, liked = PaperFactory(title="Saved paper", authors_text="Ada Lovelace, Alan Turing"), PaperFactory()
    act(reader, saved, Interaction.Kind.SAVE)
    act(reader, liked, Interaction.Kind.LIKE)
    client.force_login(reader)
    html = client.get(reverse("digests:library")).content.decode()
    assert saved.title in html and liked.title not in html
    bib = client.get(reverse("digests:library_bibtex"))
    text = bib.content.decode()
    assert bib["Content-Disposition"].startswith("attachment")
    assert text.count("@misc{") == 1 and "author = {Ada Lovelace and Alan Turing}" in text
    assert f"eprint = {{{saved.arxiv_id}}}" in text


def test_the_private_feed_serves_the_readers_digest_and_refuses_forged_tokens(client, reader):
    kept, dismissed = week_papers(2)
    act(reader, dismissed, Interaction.Kind.DISMISS)
    token = feed_token(user=reader)
    response = client.get(reverse("digests:feed", args=[token]))
    assert response["Content-Type"].startswith("application/atom+xml")
    xml = response.content.decode()
    assert kept.title in xml and dismissed.title not in xml
    forged = signing.Signer(salt="something-else").sign_object([reader.pk, 0])
    assert client.get(reverse("digests:feed", args=[forged])).status_code == 404
    assert client.get(reverse("digests:feed", args=[token[:-2] + "xx"])).status_code == 404


def test_a_long_week_shows_a_page_and_appends_more_in_place(client):
    papers = week_papers(CARDS_PER_PAGE + 5)
    url = reverse("digests:week", args=[WEEK.label])
    first = client.get(url).content.decode()
    assert first.count('class="paper card"') == CARDS_PER_PAGE and 'href="?page=2"' in first
    more = client.get(url, {"page": 2}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in more and "<h1" not in more
    assert more.count('class="paper card"') == 5 and "Show more" not in more
    shown = {p.title for p in papers if p.title in first} | {p.title for p in papers if p.title in more}
    assert len(shown) == len(papers)  # every paper once, across the two
