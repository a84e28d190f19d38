import os
import threading

import pytest
from django.core.management import call_command
from django.db import connections

from apps.embeddings.models import EmbeddingModel, PaperEmbedding
from apps.embeddings.selectors import active_model, nearest_papers, paper_vector
from apps.embeddings.services import EMBED_ALREADY_RUNNING, EmbeddingAlreadyRunning, embed_papers
from apps.search.queries import SearchFilters
from apps.search.selectors import papers_like_text
from recsys.encoder import DEFAULT_MODEL_NAME, packaged_model_path
from tests.search.factories import PATHOLOGY, RADAR_POSE, SEQUENTIAL_REC, SPARSE_REC, TOPICAL

pytestmark = pytest.mark.django_db


def test_a_papers_nearest_neighbour_is_topically_related(embedded_topical):
    sequential = embedded_topical[SEQUENTIAL_REC]
    vector = paper_vector(paper_id=sequential.pk, model_name=DEFAULT_MODEL_NAME)
    ranked = nearest_papers(vector=vector, model_name=DEFAULT_MODEL_NAME, limit=3, exclude_paper_id=sequential.pk)
    by_id = {paper.pk: arxiv_id for arxiv_id, paper in embedded_topical.items()}
    distances = {by_id[paper_id]: distance for paper_id, distance in ranked}
    assert by_id[ranked[0][0]] == SPARSE_REC
    assert distances[SPARSE_REC] < distances[RADAR_POSE]
    assert distances[SPARSE_REC] < distances[PATHOLOGY]


def test_embedding_is_idempotent_and_follows_new_versions(embedded_topical):
    assert PaperEmbedding.objects.filter(model_name=DEFAULT_MODEL_NAME).count() == len(TOPICAL)
    assert active_model().name == DEFAULT_MODEL_NAME  # the first model serves at once
    assert embed_papers(batch_size=8).embedded == 0

    revised = embedded_topical[RADAR_POSE]
    before = paper_vector(paper_id=revised.pk, model_name=DEFAULT_MODEL_NAME)
    revised.version, revised.abstract = 2, "We recommend items to users from their sequences of clicks."
    revised.save()
    assert embed_papers(batch_size=8).embedded == 1
    after = paper_vector(paper_id=revised.pk, model_name=DEFAULT_MODEL_NAME)
    assert PaperEmbedding.objects.get(paper=revised).paper_version == 2
    assert float(before @ after) < 0.9


def test_the_command_reports_progress_and_refuses_a_bad_batch_size(embedded_topical, capsys):
    call_command("embed_papers", "--all", "--batch-size", "3", verbosity=0)
    assert f"{len(TOPICAL)} papers embedded with {DEFAULT_MODEL_NAME}" in capsys.readouterr().out
    with pytest.raises(Exception, match="--batch-size must be a positive number"):
        call_command("embed_papers", "--batch-size", "0")


def _embed_from_another_connection() -> Exception | None:
    """Another worker, in effect: the advisory lock is per connection, and a thread gets its own."""
    outcome = []

    def run():
        try:
            embed_papers()
            outcome.append(None)
        except Exception as error:  # noqa: BLE001 (the test inspects it)
            outcome.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome[0]


def test_a_second_run_while_one_runs_does_nothing(embedded_topical):
    seen = []
    embed_papers(
        refresh_all=True, batch_size=2, on_batch=lambda progress: seen.append(_embed_from_another_connection())
    )
    assert seen and all(isinstance(error, EmbeddingAlreadyRunning) for error in seen)
    assert str(seen[0]) == EMBED_ALREADY_RUNNING


@pytest.fixture
def renamed_model(tmp_path, monkeypatch):
    """A second local model directory (the same weights under another name), as RETRIEVER_TEXT_MODEL."""
    directory = tmp_path / "minilm-renamed"
    directory.mkdir()
    for item in packaged_model_path().iterdir():
        os.symlink(item, directory / item.name)
    monkeypatch.setenv("RETRIEVER_TEXT_MODEL", str(directory))
    return directory.name


def test_a_model_change_rebuilds_in_the_background_while_search_serves_the_old_vectors(embedded_topical, renamed_model):
    query = "recommending the next item from a user's history"
    served_mid_build = []

    def search_mid_build(progress):
        if progress.embedded < len(TOPICAL):
            papers, _ = papers_like_text(text=query, filters=SearchFilters())
            served_mid_build.append((active_model().name, len(papers)))

    progress = embed_papers(batch_size=2, on_batch=search_mid_build)

    # Half the new set was built: search still used the complete old set, all four papers.
    assert served_mid_build == [(DEFAULT_MODEL_NAME, len(TOPICAL))]
    assert progress.activated
    assert active_model().name == renamed_model
    assert EmbeddingModel.objects.get(name=DEFAULT_MODEL_NAME).status == EmbeddingModel.Status.RETIRED
    assert set(PaperEmbedding.objects.values_list("model_name", flat=True)) == {renamed_model}
    papers, _ = papers_like_text(text=query, filters=SearchFilters())
    assert len(papers) == len(TOPICAL)
