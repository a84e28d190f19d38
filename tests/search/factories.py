"""Factories for search and embedding tests. Papers from the bundled sample keep their real text."""

import datetime as dt

import factory
import numpy as np
from django.db import connection

from apps.embeddings.models import DIMENSIONS, EmbeddingModel, PaperEmbedding
from apps.papers.models import Paper
from tests.arxiv_replay import sample_rows as all_sample_rows
from tests.factories import PaperFactory


def unit_vector(rng: np.random.Generator) -> np.ndarray:
    vector = rng.standard_normal(DIMENSIONS).astype(np.float32)
    return vector / np.linalg.norm(vector)


class PaperEmbeddingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaperEmbedding

    paper = factory.SubFactory(PaperFactory)
    model_name = "all-MiniLM-L6-v2"
    paper_version = factory.SelfAttribute("paper.version")
    vector = factory.Sequence(lambda n: unit_vector(np.random.default_rng(n)))


def one_topic_archive(count: int, *, start: dt.date, categories, seed: int) -> list[Paper]:
    """`count` papers announced one a day from `start`, paper i in `categories(i)`, their vectors spread
    around one random topic (noise 1.5 per axis), under the active model."""
    EmbeddingModel.objects.create(name="all-MiniLM-L6-v2", status=EmbeddingModel.Status.ACTIVE)
    rng = np.random.default_rng(seed)
    topic = rng.standard_normal(DIMENSIONS)
    papers = []
    for i in range(count):
        vector = topic + 1.5 * rng.standard_normal(DIMENSIONS)
        papers.append(
            PaperEmbeddingFactory(
                vector=(vector / np.linalg.norm(vector)).astype(np.float32),
                paper__announced=start + dt.timedelta(days=i),
                paper__categories=categories(i),
            ).paper
        )
    return papers


def random_archive(count: int, *, start: dt.date, categories, seed: int) -> tuple[list[Paper], np.ndarray]:
    """`count` papers announced one a day from `start`, paper i in `categories(i)`, with random unit vectors
    (rows of the array, in order) under the active model: past ~2,000, the planner walks the HNSW index."""
    EmbeddingModel.objects.get_or_create(name="all-MiniLM-L6-v2", defaults={"status": EmbeddingModel.Status.ACTIVE})
    papers = Paper.objects.bulk_create(
        PaperFactory.build(announced=start + dt.timedelta(days=i), categories=categories(i)) for i in range(count)
    )
    vectors = np.random.default_rng(seed).standard_normal((count, DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    PaperEmbedding.objects.bulk_create(
        PaperEmbedding(paper=paper, model_name="all-MiniLM-L6-v2", paper_version=1, vector=vector)
        for paper, vector in zip(papers, vectors, strict=True)
    )
    return papers, vectors


def walk_as_at_scale() -> None:
    """Make the planner walk the HNSW index, and the walk give up early, as at 100,000 papers: there a scan
    of a quarter of the archive and a sort cost more than the walk, which stops after hnsw.max_scan_tuples
    (20,000 rows); at ~2,500 papers the planner would rather sort them all, so sorting is priced out here
    (the exact scan still sorts: it has no other way). Call after ANALYZE; undone with the test's
    transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_sort = off; SET hnsw.max_scan_tuples = 500")


def move_near(papers, anchor: Paper, *, seed: int, spread: float = 0.2) -> None:
    """Give `papers` vectors close to `anchor`'s (cosine about 0.98, far above what a reason needs)."""
    rng = np.random.default_rng(seed)
    centre = np.asarray(anchor.embeddings.get().vector, dtype=np.float32)
    for paper in papers:
        vector = centre + spread * unit_vector(rng)
        PaperEmbedding.objects.filter(paper=paper).update(vector=vector / np.linalg.norm(vector))


def sample_rows(*arxiv_ids: str) -> list[dict]:
    rows = {row["arxiv_id"]: row for row in all_sample_rows()}
    return [rows[arxiv_id] for arxiv_id in arxiv_ids]


def sample_papers(*arxiv_ids: str) -> list[Paper]:
    """Real papers from the bundled sample, stored through the factory."""
    return [
        PaperFactory(
            arxiv_id=row["arxiv_id"],
            title=row["title"],
            abstract=row["abstract"],
            authors_text=", ".join(row["authors"]),
            primary_category=row["categories"][0],
            categories=row["categories"],
            announced=dt.date.fromisoformat(row["announced_date"]),
        )
        for row in sample_rows(*arxiv_ids)
    ]


# Two recommendation papers and two computer-vision papers, all real.
SEQUENTIAL_REC = "2603.02709"  # Sensory-Aware Sequential Recommendation via Review-Distilled Representations
SPARSE_REC = "2603.03309"  # Combating data scarcity in recommendation services
RADAR_POSE = "2603.08551"  # mmGAT: Pose Estimation by Graph Attention ... from mmWave Radar Point Clouds
PATHOLOGY = "2605.24253"  # CRISP: Clustering-Based ... Instance Sampling for Pathology Case Representation
TOPICAL = [SEQUENTIAL_REC, SPARSE_REC, RADAR_POSE, PATHOLOGY]
