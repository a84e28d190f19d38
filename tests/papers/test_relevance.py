"""The relevance rule on real titles and abstracts from the bundled sample."""

from apps.papers.relevance import relevance_reason


def reason(row: dict) -> str | None:
    return relevance_reason(title=row["title"], abstract=row["abstract"], categories=row["categories"])


def by_id(rows, arxiv_id):
    return next(row for row in rows if row["arxiv_id"] == arxiv_id)


def test_cs_ir_is_taken_whole(real_rows):
    ir_papers = [row for row in real_rows if "cs.IR" in row["categories"]]
    assert ir_papers and all(reason(row) == "category cs.IR" for row in ir_papers)


def test_neighbouring_category_paper_about_recommendation_is_in(real_rows):
    row = by_id(real_rows, "2603.02709")  # Sensory-Aware Sequential Recommendation (cs.CL, cs.AI)
    assert "cs.IR" not in row["categories"]
    assert reason(row).startswith("keyword")


def test_off_topic_papers_are_out(real_rows):
    image_paper = by_id(real_rows, "2603.03907")  # Fine-grained Image Aesthetic Assessment (cs.CV)
    memory_paper = by_id(real_rows, "2603.02473")  # LLM agent memory (cs.AI), no RecSys term
    assert reason(image_paper) is None
    assert reason(memory_paper) is None


def test_rule_is_configurable(settings, real_rows):
    row = by_id(real_rows, "2603.02473")
    settings.RETRIEVER_RELEVANCE = {"keywords": [r"agent memory"]}
    assert reason(row) == "keyword 'Agent Memory'"


# --- The classifier over text embeddings (the gate in production; tests elsewhere use the rule) ---

import json  # noqa: E402
import logging  # noqa: E402

import pytest  # noqa: E402

from apps.papers import relevance  # noqa: E402
from apps.papers.records import from_snapshot  # noqa: E402
from recsys.relevance import RelevanceClassifier  # noqa: E402

MEDICAL_RAG_IN_CS_IR = "2603.03292"  # Boosting Medical Reasoning via Multi-Round Agentic RAG (cs.CL, cs.AI, cs.IR)
RAG_PERFORMANCE_IN_CS_IR = "2604.07985"  # Rag Performance Prediction for Question Answering (cs.CL, cs.IR)
COMPOSED_IMAGE_RETRIEVAL = "2606.31222"  # Zero-Shot Composed Image Retrieval (cs.AI)
RECOMMENDATION = ["2603.02709", "2603.03309"]  # sequential recommendation; cold-start recommendation


@pytest.fixture
def classifier_on(settings):
    settings.RETRIEVER_RELEVANCE = {"classifier": True}


def kept(real_rows, *arxiv_ids) -> set[str]:
    records = [from_snapshot(by_id(real_rows, arxiv_id)) for arxiv_id in arxiv_ids]
    return {record.arxiv_id for record in relevance.keep_relevant(records)}


def test_the_classifier_keeps_recommendation_papers_and_drops_rag_that_cs_ir_lets_in(real_rows, classifier_on):
    off_topic = [MEDICAL_RAG_IN_CS_IR, RAG_PERFORMANCE_IN_CS_IR, COMPOSED_IMAGE_RETRIEVAL]
    assert reason(by_id(real_rows, MEDICAL_RAG_IN_CS_IR)) and reason(by_id(real_rows, RAG_PERFORMANCE_IN_CS_IR))
    assert kept(real_rows, *RECOMMENDATION, *off_topic) == set(RECOMMENDATION)


def test_without_the_classifier_the_keyword_rule_decides(real_rows, settings):
    settings.RETRIEVER_RELEVANCE = {"classifier": False}
    assert kept(real_rows, MEDICAL_RAG_IN_CS_IR, *RECOMMENDATION) == {MEDICAL_RAG_IN_CS_IR, *RECOMMENDATION}


def test_a_classifier_for_another_text_model_gives_way_to_the_rule(
    real_rows, classifier_on, settings, tmp_path, caplog
):
    settings.VAR_DIR = tmp_path
    shipped = RelevanceClassifier.load(relevance.SHIPPED_CLASSIFIER)
    RelevanceClassifier("some-other-model", shipped.weights, shipped.bias).save(relevance.refit_path())
    with caplog.at_level(logging.WARNING, logger="apps.papers.relevance"):
        assert kept(real_rows, MEDICAL_RAG_IN_CS_IR) == {MEDICAL_RAG_IN_CS_IR}
    assert "is for some-other-model" in caplog.text


@pytest.mark.django_db
def test_refit_learns_from_peoples_verdicts_and_serves_at_once(
    real_rows, classifier_on, settings, tmp_path, monkeypatch
):
    """The refit entry point takes (paper, accepted) pairs; a small shipped set keeps the test quick."""
    from tests.factories import PaperFactory

    settings.VAR_DIR = tmp_path
    labelled = tmp_path / "labelled.jsonl"
    rows = [json.loads(line) for line in open(relevance.LABELLED_PAPERS)]
    small = [row for row in rows if row["of_interest"]][:10] + [row for row in rows if not row["of_interest"]][:30]
    labelled.write_text("".join(json.dumps(row) + "\n" for row in small))
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text("")
    monkeypatch.setattr(relevance, "LABELLED_PAPERS", labelled)
    monkeypatch.setattr(relevance, "SEED_PAPERS", seeds)
    medical = by_id(real_rows, MEDICAL_RAG_IN_CS_IR)
    # Editors who want medical RAG after all: five verdicts on papers like it.
    liked = [PaperFactory(title=medical["title"] + f" ({i})", abstract=medical["abstract"]) for i in range(5)]
    classifier = relevance.relevance_refit([(paper, True) for paper in liked])
    assert relevance.refit_path().exists() and "5 verdicts from people" in classifier.trained_on
    assert relevance.current_classifier().trained_on == classifier.trained_on
    assert MEDICAL_RAG_IN_CS_IR in kept(real_rows, MEDICAL_RAG_IN_CS_IR)
    with pytest.raises(ValueError, match="both kinds"):
        monkeypatch.setattr(relevance, "LABELLED_PAPERS", seeds)
        relevance.relevance_refit([(liked[0], True)])
