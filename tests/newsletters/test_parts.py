"""Emails assembled from the week's parts: each reader's own papers, reasons, links and zone, escaped."""

import re

import numpy as np
import pytest

from apps.digests.models import Digest
from apps.embeddings.models import EmbeddingModel
from apps.newsletters.compose import edition_for, newsletter_for, newsletters_for
from apps.papers.models import Paper
from apps.recommendations import services
from apps.recommendations.models import Interaction
from tests.factories import PaperFactory
from tests.newsletters.conftest import WEEK
from tests.search.factories import PaperEmbeddingFactory

pytestmark = pytest.mark.usefixtures("newsletter_settings", "published")
Kind = Interaction.Kind


def act(user, paper, kind):
    services.interaction_toggle(user=user, paper=paper, kind=kind, source=Interaction.Source.DIGEST)


def axis(i: int) -> np.ndarray:
    vector = np.zeros(384, dtype=np.float32)
    vector[i] = 1.0
    return vector


def comparable(part: str) -> str:
    """Without the send time and the links' signing times and signatures (two renders a second apart
    differ there); the links' payloads, whose reader and paper they are, stay."""
    part = re.sub(r"(/newsletters/(?:click|unsubscribe)/[^:/]+):[^:/]+:[^/]+/", r"\1/", part)
    return re.sub(r"Sent [^(]*\(", "Sent (", part)


@pytest.fixture
def embedded(week_papers):
    """Vectors for the week's papers, and an older paper with an awkward title close to the first one."""
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    for i, paper in enumerate(week_papers):
        PaperEmbeddingFactory(paper=paper, vector=axis(i))
    close = (axis(0) + 0.5 * axis(100)) / np.linalg.norm(axis(0) + 0.5 * axis(100))
    return PaperEmbeddingFactory(vector=close, paper=PaperFactory(title='Bandits & <Friends> "Ltd"')).paper


def test_a_reason_with_markup_in_it_is_escaped_in_html_and_plain_in_text(embedded, week_papers, readers):
    reader = readers["subscribed"][1]
    act(reader, embedded, Kind.LIKE)
    newsletter = newsletter_for(edition=edition_for(WEEK), user=reader)
    assert 'Similar to “Bandits &amp; &lt;Friends&gt; "Ltd"”, which you liked' in newsletter.html
    assert 'Similar to “Bandits & <Friends> "Ltd"”, which you liked' in newsletter.text
    assert newsletter.html.count('class="reason"') == 1  # only the card the reason is about has a reason line
    first = newsletter.html.index(week_papers[0].title)
    assert first < newsletter.html.index("Similar to") < newsletter.html.index(week_papers[1].title)
    assert "<!--[" not in newsletter.html and "<!--[" not in newsletter.text and "\ue000" not in newsletter.html


def test_a_batch_gives_each_reader_the_email_they_would_get_alone(embedded, week_papers, readers):
    tokyo, plain, no_profile = readers["subscribed"]
    act(plain, embedded, Kind.SAVE)
    act(tokyo, week_papers[2], Kind.DISMISS)  # the editors' pick: no picks section for them
    act(tokyo, week_papers[5], Kind.DISMISS)
    edition = edition_for(WEEK)
    batch = newsletters_for(edition=edition, users=[tokyo, plain, no_profile])
    for reader in (tokyo, plain, no_profile):
        alone = newsletter_for(edition=edition_for(WEEK), user=reader)
        assert comparable(batch[reader.pk].html) == comparable(alone.html)
        assert comparable(batch[reader.pk].text) == comparable(alone.text)
        assert {k: comparable(v) for k, v in batch[reader.pk].headers.items()} == {
            k: comparable(v) for k, v in alone.headers.items()
        }
    assert "Editors’ picks" not in batch[tokyo.pk].html and week_papers[5].title not in batch[tokyo.pk].text
    assert "Editors’ picks" in batch[plain.pk].html and "which you saved" in batch[plain.pk].html
    assert "(Asia/Tokyo)" in batch[tokyo.pk].text and "(UTC)" in batch[no_profile.pk].text
    tokens = {r.pk: set(re.findall(r"/newsletters/click/([^/]+)/", batch[r.pk].html)) for r in readers["subscribed"]}
    assert not tokens[tokyo.pk] & tokens[plain.pk]  # each reader's own signed links


def test_a_reader_with_every_other_paper_dismissed_gets_the_empty_state(week_papers, readers):
    reader = readers["subscribed"][1]
    for paper in week_papers:
        if paper != week_papers[2]:
            act(reader, paper, Kind.DISMISS)
    newsletter = newsletter_for(edition=edition_for(WEEK), user=reader)
    assert "No other papers this week." in newsletter.html and "No other papers this week." in newsletter.text
    assert "Open this week’s digest" in newsletter.html and "This week's digest:" in newsletter.text
    assert week_papers[2].title in newsletter.html  # the pick is still there


def test_a_note_or_title_holding_the_cut_markers_or_slots_comes_through_whole(published, week_papers, readers):
    """The parts are cut at markers and filled at slots; text an editor or arXiv wrote must not be either."""
    forged = "See <!--[/card]--> and <!--[/picks]--><!--[empty]--> {x} \ue000url\ue001 \ue000nope\ue001 done."
    Digest.objects.filter(pk=published.pk).update(picks=[{"paper": week_papers[2].pk, "note": forged}])
    Paper.objects.filter(pk=week_papers[3].pk).update(title="On <!--[reason]--> and <!--[card:1]--> markers")
    reader = readers["subscribed"][1]
    newsletter = newsletter_for(edition=edition_for(WEEK), user=reader)
    assert f"Editors' note: {forged}\n" in newsletter.text
    assert "On <!--[reason]--> and <!--[card:1]--> markers" in newsletter.text
    assert "On &lt;!--[reason]--&gt; and &lt;!--[card:1]--&gt; markers" in newsletter.html
    assert newsletter.text.count("\n* ") == len(week_papers)  # every card once, none lost or doubled
    assert "No other papers this week." not in newsletter.text
    assert re.search(r"\nUnsubscribe: http://testserver/newsletters/unsubscribe/\S+/\n$", newsletter.text)
