"""Paper vectors in pgvector, tagged with the model that made them.

At most one EmbeddingModel is ACTIVE: search reads only its vectors. A new model is BUILDING while the
worker embeds the catalogue with it, and becomes ACTIVE only once every paper has a vector, so
search never serves a half-built set.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from pgvector.django import HalfVectorField, HnswIndex, VectorField

from apps.papers.models import Paper

DIMENSIONS = 384
# The vectors in half precision: what the HNSW graph holds and walks. At 100,000 and 300,000 paper-like
# vectors it recalls what float32 does, in about half the index and a quicker build (docs/benchmarks.md,
# "ANN on paper-like vectors"). A query walks the graph only when it orders by the same expression.
HALF_PRECISION = Cast("vector", HalfVectorField(dimensions=DIMENSIONS))


class EmbeddingModel(models.Model):
    class Status(models.TextChoices):
        BUILDING = "building"
        ACTIVE = "active"
        RETIRED = "retired"

    name = models.CharField(max_length=200, unique=True)
    # Where the worker found it, so a web process configured for a newer model can still encode
    # queries with the one whose vectors it serves.
    path = models.TextField(blank=True)
    dimensions = models.PositiveSmallIntegerField(default=DIMENSIONS)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BUILDING)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="one_active_embedding_model")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class PaperEmbedding(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="embeddings")
    model_name = models.CharField(max_length=200)
    # The paper version the text came from: a new version makes the vector stale.
    paper_version = models.PositiveSmallIntegerField()
    vector = VectorField(dimensions=DIMENSIONS)
    created_at = models.DateTimeField(auto_now=True)
    # The paper's filter columns, copied by triggers (migration 0002) whatever writes either table: a filtered
    # graph walk checks each candidate on the row it has just read instead of probing papers_paper, which
    # was half the walk. Read-only here: whatever is saved, the trigger writes the paper's values.
    announced = models.DateField(null=True, editable=False)
    categories = ArrayField(models.CharField(max_length=32), default=list, editable=False)
    withdrawn = models.BooleanField(default=False, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "model_name"], name="paperembedding_unique_paper_model")
        ]
        indexes = [
            # m=24, ef_construction=128: the denser graph is what lifts recall@20 past 0.95 at a million
            # papers; m=16, ef_construction=64 stopped at 0.985 however far the walk went.
            HnswIndex(
                OpClass(HALF_PRECISION, name="halfvec_cosine_ops"),
                name="paperembedding_hnsw_cosine",
                m=24,
                ef_construction=128,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} / {self.model_name}"
