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
