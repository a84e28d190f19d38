"""Word clouds: terms from real titles, the cached image and its alt text, rebuilt only on change."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.seminars.models import WordCloud
from apps.seminars.services import cloud_rebuild, title_terms
from apps.seminars.services.clouds import TITLE_STOPWORDS
from tests.factories import PaperFactory, UserFactory
from tests.seminars.factories import SeriesFactory, SessionFactory, TalkFactory


def test_the_real_sample_titles_give_the_expected_top_terms(real_rows):
    terms = title_terms(row["title"] for row in real_rows)
    top = [term for term, _ in terms.most_common(20)]
    assert top[0] == "retrieval"  # an arXiv cs.IR sample
    assert "retrieval-augmented generation" in top[:5]  # a frequent phrase kept whole
    assert "large language models" in top and terms["large"] * 4 < terms["large language models"]  # not split
    assert {"llm", "llms"} & set(top) and not {"llm", "llms"} <= set(terms)  # a plural folds into one term
    assert not TITLE_STOPWORDS & set(terms)  # "via", "towards", "using", "for" ...


def test_a_phrase_needs_to_recur_to_stay_whole():
    terms = title_terms(
        [
            "Graph neural networks for ranking",
            "Graph neural networks at scale",
            "Scalable graph neural networks",
            "Neural ranking via distillation",
        ]
    )
    assert terms["graph neural networks"] == 3 and terms["ranking"] == 2
    assert "neural ranking" not in terms and "via" not in terms


@pytest.mark.django_db
def test_the_archive_cloud_is_drawn_once_per_set_of_titles_and_redrawn_when_they_change(settings, tmp_path):
    settings.RETRIEVER_CLOUDS_DIR = tmp_path
    series = SeriesFactory(slug="recsys")
    past = timezone.now() - dt.timedelta(days=7)
    for day, title in enumerate(
        [
            "Sequential recommendation with transformers",
            "Sequential recommendation at scale",
            "Sequential recommendation for cold items",
            "Debiasing implicit feedback",
        ]
    ):
        TalkFactory(session=SessionFactory(series=series, start=past - dt.timedelta(weeks=day)), title=title)
    TalkFactory(session=SessionFactory(series=series), title="Not given yet")  # upcoming: not in the archive

    cloud = cloud_rebuild("series:recsys")
    assert cloud.titles == 4 and cloud.terms[0] == ["sequential recommendation", 3]
    assert (tmp_path / cloud.image).stat().st_size > 1000
    assert (tmp_path / cloud.image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cloud.alt_text.startswith("Word cloud of 4 titles; most frequent terms: sequential recommendation, ")
    built_at = cloud.built_at
    assert cloud_rebuild("series:recsys").built_at == built_at  # nothing changed: nothing redrawn

    TalkFactory(session=SessionFactory(series=series, start=past - dt.timedelta(weeks=9)), title="Debiasing exposure")
    redrawn = cloud_rebuild("series:recsys")
    assert redrawn.image != cloud.image and not (tmp_path / cloud.image).exists()
    assert ["debiasing", 2] in redrawn.terms
    assert WordCloud.objects.count() == 1


@pytest.mark.django_db
def test_a_digest_week_has_its_own_cloud_shown_on_the_digest_page(
    client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.RETRIEVER_CLOUDS_DIR = tmp_path
    cache.clear()
    assert "word-cloud" not in client.get("/digest/2026-W26/").content.decode()  # none yet: queued, nothing shown
    for title in ["Corrected logQ for retrieval", "Sampled softmax for retrieval", "Retrieval with two towers"]:
        PaperFactory(title=title, announced=dt.date(2026, 6, 24))
    PaperFactory(title="Another week entirely", announced=dt.date(2026, 6, 10))
    with django_capture_on_commit_callbacks(execute=True):
        cloud = cloud_rebuild("week:2026-W26")  # drops the page's cached "no cloud"
    assert cloud.titles == 3 and cloud.terms[0] == ["retrieval", 3]
    html = client.get("/digest/2026-W26/").content.decode()
    assert (
        f'src="/seminars/clouds/{cloud.image}"' in html
        and 'alt="Word cloud of 3 titles; most frequent terms: retrieval' in html
    )
    image = client.get(f"/seminars/clouds/{cloud.image}")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert client.get("/seminars/clouds/..%2Fsecret.png").status_code == 404
    assert client.get("/seminars/clouds/missing.png").status_code == 404


@pytest.mark.django_db
def test_the_newsletter_carries_its_weeks_cloud_with_an_absolute_address(settings, tmp_path):
    from apps.newsletters.compose import edition_for, newsletter_for
    from apps.papers.weeks import Week

    settings.RETRIEVER_CLOUDS_DIR, settings.SITE_URL = tmp_path, "https://retriever.example.org"
    cache.clear()
    week = Week.from_label("2026-W26")
    for title in ["Corrected logQ for retrieval", "Sampled softmax for retrieval", "Retrieval with two towers"]:
        PaperFactory(title=title, announced=dt.date(2026, 6, 24))
    reader = UserFactory()
    assert "Word cloud" not in newsletter_for(edition=edition_for(week), user=reader).html  # none drawn yet
    cache.clear()
    cloud = cloud_rebuild("week:2026-W26")
    html = newsletter_for(edition=edition_for(week), user=reader).html
    assert f'src="https://retriever.example.org/seminars/clouds/{cloud.image}"' in html
    assert 'alt="Word cloud of 3 titles; most frequent terms: retrieval' in html
