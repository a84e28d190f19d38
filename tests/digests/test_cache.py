"""The digest page reads a reader's ranked week from the cache: every change they or the editors make shows at once."""

import datetime as dt
import re

import numpy as np
import pytest
from django.contrib import messages
from django.contrib.auth.models import Group
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from apps.accounts.services import EDITORS_GROUP, feed_link_reset
from apps.common.cached_html import CSRF_PLACEHOLDER
from apps.digests.models import Decision, Pin
from apps.digests.services import decisions_set, digest_get_or_create, digest_publish
from apps.embeddings.models import EmbeddingModel
from apps.papers.records import PaperRecord
from apps.papers.services.upsert import upsert_records
from apps.papers.weeks import Week
from apps.recommendations.models import Interaction
from tests.digests.conftest import act
from tests.search.factories import PaperEmbeddingFactory

pytestmark = pytest.mark.django_db
WEEK = Week.from_label("2026-W26")
URL = reverse("digests:week", args=[WEEK.label])
Kind = Interaction.Kind


def axis(*indices: int) -> np.ndarray:
    vector = np.zeros(384, dtype=np.float32)
    vector[list(indices)] = 1.0
    return vector / np.linalg.norm(vector)


@pytest.fixture
def week():
    """Two topics in one week: papers along axis 0 and papers along axis 1."""
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    return {
        name: PaperEmbeddingFactory(vector=vector, paper__announced=WEEK.monday + dt.timedelta(days=i)).paper
        for i, (name, vector) in enumerate(
            [
                ("a", axis(0)),
                ("a_near", axis(0, 0, 2)),
                ("b", axis(1)),
                ("b_near", axis(1, 3)),
                ("other", axis(5)),
            ]
        )
    }


def order(client) -> list[str]:
    return re.findall(r'<li class="paper card" id="paper-([^"]+)"', client.get(URL).content.decode())


def test_a_like_reorders_the_next_load_and_its_button_shows_pressed(client, signed_in_reader, week):
    act(signed_in_reader, week["a"], Kind.LIKE)
    first = order(client)
    assert first.index(week["a_near"].arxiv_id) < first.index(week["b_near"].arxiv_id)
    assert order(client) == first  # read back from the cache

    act(signed_in_reader, week["a"], Kind.LIKE)  # undone
    act(signed_in_reader, week["b"], Kind.SAVE)
    html = client.get(URL).content.decode()
    now = re.findall(r'<li class="paper card" id="paper-([^"]+)"', html)
    assert now.index(week["b_near"].arxiv_id) < now.index(week["a_near"].arxiv_id)
    assert 'aria-pressed="true">★ Saved' in html and "♥ Liked" not in html


def test_a_dismissal_is_gone_at_the_next_load(client, signed_in_reader, week):
    act(signed_in_reader, week["a"], Kind.LIKE)
    assert week["other"].arxiv_id in order(client)
    act(signed_in_reader, week["other"], Kind.DISMISS)
    assert week["other"].arxiv_id not in order(client)


def test_editors_rejections_and_published_picks_show_at_the_next_load(
    client, signed_in_reader, week, django_user_model
):
    editor = django_user_model.objects.create_user("editor", "editor@example.org", "pw-123456789")
    act(signed_in_reader, week["a"], Kind.LIKE)
    assert order(client)[0] != week["other"].arxiv_id
    decisions_set(week=WEEK, paper_ids=[week["b"].id], verdict=Decision.Verdict.REJECT, by=editor)
    assert week["b"].arxiv_id not in order(client)

    Pin.objects.create(week=WEEK.monday, paper=week["other"], note="Read this", order=1)
    digest_publish(digest=digest_get_or_create(week=WEEK), by=editor)
    shown = order(client)
    assert shown[0] == week["other"].arxiv_id and shown.count(week["other"].arxiv_id) == 1


def test_each_reader_gets_their_own_cached_week(client, signed_in_reader, week, django_user_model):
    other = django_user_model.objects.create_user("other@example.org", "other@example.org", "pw-123456789")
    act(signed_in_reader, week["a"], Kind.LIKE)
    act(other, week["b"], Kind.LIKE)
    mine = order(client)
    client.force_login(other)
    theirs = order(client)
    assert mine.index(week["a_near"].arxiv_id) < mine.index(week["b_near"].arxiv_id)
    assert theirs.index(week["b_near"].arxiv_id) < theirs.index(week["a_near"].arxiv_id)


def new_version(paper, *, title: str) -> None:
    """arXiv's next version of `paper`, through the one write path every source uses."""
    upsert_records(
        [
            PaperRecord(
                arxiv_id=paper.arxiv_id,
                version=paper.version + 1,
                title=title,
                abstract=paper.abstract,
                authors=["A. Author"],
                primary_category=paper.primary_category,
                categories=paper.categories,
                published=paper.published,
                updated=paper.updated + dt.timedelta(days=1),
                announced=paper.announced,
            )
        ]
    )


def test_a_new_version_shows_its_title_on_the_next_load(client, signed_in_reader, week):
    act(signed_in_reader, week["a"], Kind.LIKE)
    assert week["b"].title in client.get(URL).content.decode()
    new_version(week["b"], title="A corrected title, second version")
    html = client.get(URL).content.decode()
    assert "A corrected title, second version" in html and week["b"].title not in html
    assert "A corrected title, second version" in client.get(URL + "?view=expanded").content.decode()


def test_a_title_edited_in_the_admin_shows_on_the_next_load(client, signed_in_reader, week):
    act(signed_in_reader, week["a"], Kind.LIKE)
    client.get(URL)
    paper = week["b"]
    paper.title = "Edited by hand"
    paper.save()  # no new version, nothing else bumped: the fragment is keyed by the paper's last change
    assert "Edited by hand" in client.get(URL + "?page=1").content.decode()


def test_a_new_feed_link_shows_on_the_next_load(client, signed_in_reader, week):
    first = re.search(r'href="([^"]*/digest\.atom)"', client.get(URL).content.decode()).group(1)
    feed_link_reset(user=signed_in_reader)
    again = re.search(r'href="([^"]*/digest\.atom)"', client.get(URL).content.decode()).group(1)
    assert again != first


def test_a_new_editor_role_shows_on_the_next_load_and_a_removed_one_goes(client, signed_in_reader, week):
    curation = f'href="{reverse("curation:home")}"'
    signed_in_reader.is_staff = True
    signed_in_reader.save()
    assert curation not in client.get(URL).content.decode()
    editors = Group.objects.get_or_create(name=EDITORS_GROUP)[0]
    signed_in_reader.groups.add(editors)
    assert curation in client.get(URL).content.decode()
    editors.user_set.remove(signed_in_reader)  # from the group's side, as the admin's group page does
    assert curation not in client.get(URL).content.decode()
    editors.user_set.add(signed_in_reader)
    assert curation in client.get(URL).content.decode()
    signed_in_reader.groups.clear()
    assert curation not in client.get(URL).content.decode()
    editors.user_set.add(signed_in_reader)
    assert curation in client.get(URL).content.decode()
    editors.delete()
    assert curation not in client.get(URL).content.decode()
    signed_in_reader.is_superuser = True  # curates without the group
    signed_in_reader.save()
    assert curation in client.get(URL).content.decode()


def test_every_browser_gets_its_own_working_csrf_token_from_the_kept_page(signed_in_reader, week):
    """The page is kept once per reader; a second device (its own CSRF cookie) must still be able to post."""
    browsers = [Client(enforce_csrf_checks=True) for _ in range(2)]
    tokens = []
    for browser in browsers:
        browser.force_login(signed_in_reader)
        html = browser.get(URL).content.decode()
        assert CSRF_PLACEHOLDER not in html
        tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1))
    for browser, token in zip(browsers, tokens):
        toggle = reverse("recommendations:toggle", args=["save", week["other"].arxiv_id])
        response = browser.post(toggle, {"csrfmiddlewaretoken": token, "source": "digest", "next": URL})
        assert response.status_code == 302, response.status_code  # a 403 had the token been another's
    assert not Interaction.objects.filter(user=signed_in_reader, paper=week["other"]).exists()
    html = browsers[0].get(URL).content.decode()
    assert html.count('aria-pressed="true">★ Saved') == 0  # saved, then unsaved by the second device


def test_the_buttons_kept_for_one_reader_show_their_own_states_to_another(
    client, signed_in_reader, week, django_user_model
):
    other = django_user_model.objects.create_user("other@example.org", "other@example.org", "pw-123456789")
    act(signed_in_reader, week["other"], Kind.SAVE)
    assert 'aria-pressed="true">★ Saved' in client.get(URL).content.decode()
    client.force_login(other)
    assert 'aria-pressed="true">★ Saved' not in client.get(URL).content.decode()


def test_a_message_is_shown_once_and_never_kept(client, signed_in_reader, week, rf):
    """A message left by the last form (base.html shows it on the next page) must not be kept for the reader."""
    client.get(URL)  # kept
    storage = CookieStorage(rf.get(URL))
    storage.add(messages.SUCCESS, "Talk saved.")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies[storage.cookie_name] = carrier.cookies[storage.cookie_name].value
    assert "Talk saved." in client.get(URL).content.decode()
    assert "Talk saved." not in client.get(URL).content.decode()
