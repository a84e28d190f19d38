"""The "For you" page: the whole archive ranked for a reader, paged without repeats, within a window."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from apps.digests import for_you
from apps.digests.for_you import PER_PAGE
from apps.recommendations.models import Interaction
from apps.recommendations.ranking.new_papers import NEW_FOR_YOU
from tests.digests.conftest import act
from tests.factories import PaperFactory
from tests.search.factories import move_near, one_topic_archive

pytestmark = pytest.mark.django_db
URL = reverse("digests:for_you")
START = dt.date(2026, 1, 5)


@pytest.fixture
def archive():
    """70 embedded papers over 70 days, every other one in cs.LG too; their vectors lie around one topic."""
    return one_topic_archive(70, start=START, categories=lambda i: ["cs.IR", "cs.LG"] if i % 2 else ["cs.IR"], seed=0)


def card_ids(html: str) -> list[str]:
    return re.findall(r'<li class="paper card" id="paper-([^"]+)"', html)


def shown_ids(html: str) -> list[str]:
    """The ranked list's papers (on the first page, after the "New for you" slot)."""
    return card_ids(html.split('id="for-you-cards"', 1)[-1])


def slot_ids(html: str) -> list[str]:
    """The "New for you" slot's papers; none where the page has no slot."""
    if 'id="new-for-you-cards"' not in html:
        return []
    return card_ids(html.split('id="new-for-you-cards"', 1)[1].split("</ol>", 1)[0])


def all_pages(client, *, start=1, **params) -> list[list[str]]:
    """The ids on each page from `start` on, following "Show more" as a reader would."""
    pages, page = [], start
    while page:
        html = client.get(URL, {**params, "page": page}).content.decode()
        pages.append(shown_ids(html))
        found = re.search(r'page=(\d+)" hx-get', html)
        page = int(found.group(1)) if found else None
    return pages


def test_the_page_asks_anonymous_visitors_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize("first_depth", [100, 2])  # 2: the snapshot deepens again and again after the slot
def test_the_whole_archive_pages_without_repeats_even_when_the_reader_acts_between_pages(
    client, signed_in_reader, archive, first_depth, monkeypatch
):
    monkeypatch.setattr(for_you, "FIRST_DEPTH", first_depth)
    act(signed_in_reader, archive[0], Interaction.Kind.LIKE)
    html = client.get(URL).content.decode()
    first, new = shown_ids(html), slot_ids(html)
    assert len(first) == PER_PAGE and len(new) == NEW_FOR_YOU
    act(
        signed_in_reader, archive[40], Interaction.Kind.LIKE
    )  # the ranking moves; the pages already shown must not repeat
    rest = all_pages(client, start=2)
    assert not any(slot_ids(client.get(URL, {"page": 2}).content.decode()))  # the slot is the first page's
    everything = new + first + [arxiv_id for page in rest for arxiv_id in page]
    assert len(everything) == len(set(everything)) == len(archive)


def test_the_ranking_follows_what_the_reader_liked(client, signed_in_reader, archive):
    act(signed_in_reader, archive[5], Interaction.Kind.SAVE)
    html = client.get(URL).content.decode()
    assert shown_ids(html)[0] == archive[5].arxiv_id  # its own vector is nearest to the profile
    assert "by similarity to what you liked and saved" in html
    own_card = html.split('id="for-you-cards"')[1].split('<li class="paper card"')[1]
    assert "You saved this paper" in own_card and "Similar to" not in own_card  # never "similar to itself"


def test_a_window_since_a_date_and_in_a_category_is_respected(client, signed_in_reader, archive):
    act(signed_in_reader, archive[0], Interaction.Kind.LIKE)
    since = START + dt.timedelta(days=30)
    pages = all_pages(client, since=since.isoformat(), category="cs.LG")
    expected = {p.arxiv_id for p in archive if p.announced >= since and "cs.LG" in p.categories}
    new = slot_ids(client.get(URL, {"since": since.isoformat(), "category": "cs.LG"}).content.decode())
    shown = new + [arxiv_id for page in pages for arxiv_id in page]
    assert len(shown) == len(set(shown)) and set(shown) == expected


def test_dismissed_papers_are_gone_at_the_next_load(client, signed_in_reader, archive):
    act(signed_in_reader, archive[0], Interaction.Kind.LIKE)
    first = shown_ids(client.get(URL).content.decode())
    dismissed = next(p for p in archive if p.arxiv_id == first[1])
    act(signed_in_reader, dismissed, Interaction.Kind.DISMISS)
    assert dismissed.arxiv_id not in shown_ids(client.get(URL).content.decode())
    later = [arxiv_id for page in all_pages(client, start=2) for arxiv_id in page]
    assert dismissed.arxiv_id not in later


def test_a_reader_without_history_gets_the_most_liked_then_the_newest(
    client, signed_in_reader, archive, django_user_model
):
    fan = django_user_model.objects.create_user("fan", "fan@example.org", "pw-123456789")
    act(fan, archive[3], Interaction.Kind.LIKE)
    html = client.get(URL).content.decode()
    ids = shown_ids(html)
    assert ids[0] == archive[3].arxiv_id and ids[1] == archive[-1].arxiv_id
    assert "1 reader liked or saved it" in html


def test_more_like_this_has_a_real_link_and_an_htmx_fragment(client, signed_in_reader, archive):
    act(signed_in_reader, archive[0], Interaction.Kind.LIKE)
    act(signed_in_reader, archive[2], Interaction.Kind.DISMISS)
    html = client.get(URL).content.decode()
    target = archive[1]
    assert f'href="{URL}?like={target.arxiv_id}"' in html and "More like this" in html
    fragment = client.get(URL, {"like": target.arxiv_id}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    titles = re.findall(r'<li><a href="/papers/([^/]+)/"', fragment)
    assert len(titles) == 5 and target.arxiv_id not in titles and archive[2].arxiv_id not in titles
    assert client.get(URL, {"like": target.arxiv_id}).status_code == 200  # the href works without htmx
    assert client.get(URL, {"like": "9999.99999"}).status_code == 404


def test_the_nav_links_to_the_page_and_a_bad_date_says_why(client, signed_in_reader):
    PaperFactory()
    html = client.get(URL, {"since": "not a date"}).content.decode()
    assert f'<a href="{URL}">For you</a>' in html
    assert "Enter a valid date" in html and "Showing the whole archive" in html


def test_the_first_page_has_a_labelled_new_for_you_slot_that_says_why(
    client, signed_in_reader, archive, django_user_model
):
    liked = archive[0]
    liked.title = 'Bandits <b>&</b> "cold" items'
    liked.save()
    act(signed_in_reader, liked, Interaction.Kind.LIKE)
    other = django_user_model.objects.create_user("other", "other@example.org", "pw-123456789")
    for paper in archive[1:40]:  # read by someone: not new any more
        act(other, paper, Interaction.Kind.SAVE)
    # close enough to it for a card to say so; the page's first 20 take the nearest, the slot the rest
    close = archive[40:64]
    move_near(close, liked, seed=3)
    html = client.get(URL).content.decode()
    assert '<section class="new-for-you" aria-labelledby="new-for-you-title">' in html
    assert '<h2 id="new-for-you-title">New for you</h2>' in html
    new, ranked = slot_ids(html), shown_ids(html)
    assert len(new) == NEW_FOR_YOU and not set(new) & set(ranked)
    assert set(new) <= {paper.arxiv_id for paper in close}
    slot = html.split('id="new-for-you-cards"', 1)[1].split("</ol>", 1)[0]
    assert slot.count("Similar to “Bandits &lt;b&gt;&amp;&lt;/b&gt; &quot;cold&quot; items”, which you liked") == 4
    fragment = client.get(URL, headers={"HX-Request": "true"}).content.decode()  # a filter change swaps it too
    assert "<html" not in fragment and slot_ids(fragment) == new


def test_a_new_paper_no_liked_paper_is_close_to_makes_no_claim(client, signed_in_reader, archive, django_user_model):
    act(signed_in_reader, archive[0], Interaction.Kind.LIKE)
    other = django_user_model.objects.create_user("other", "other@example.org", "pw-123456789")
    for paper in archive[1:40]:
        act(other, paper, Interaction.Kind.SAVE)
    html = client.get(URL).content.decode()  # the new papers lie around the topic, none close to the liked one
    slot = html.split('id="new-for-you-cards"', 1)[1].split("</ol>", 1)[0]
    assert len(slot_ids(html)) == NEW_FOR_YOU and 'class="reason"' not in slot
    assert "Papers no reader here has opened yet, closest to what you liked and saved." in html


def test_the_slot_says_so_when_nothing_qualifies(client, signed_in_reader, archive):
    html = client.get(URL).content.decode()  # no liked papers: nothing to be close to
    assert "New for you" in html and not slot_ids(html)
    assert "No new papers for you in this window yet" in html
    act(signed_in_reader, archive[0], Interaction.Kind.LIKE)
    assert slot_ids(client.get(URL).content.decode())
    html = client.get(URL, {"since": (START + dt.timedelta(days=365)).isoformat()}).content.decode()
    assert "No new papers for you in this window yet" in html and not slot_ids(html)
