"""What readers did with papers, and the retriever trained on it."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField

from apps.papers.models import Paper

TWO_TOWER_DIM = 256  # the widest model this deployment serves; narrower ones are zero-padded


class Interaction(models.Model):
    """One reader's action on one paper: the retriever's training data.

    Likes, saves and dismissals are states (one row at most per reader, paper and kind; undoing one
    deletes it). Views, arXiv opens and presentations are events, recorded each time.
    """

    class Kind(models.TextChoices):
        VIEW = "view"
        OPEN_ARXIV = "open", "opened on arXiv"
        LIKE = "like"
        SAVE = "save"
        DISMISS = "dismiss"
        PRESENT = "present", "presented at the seminar"

    class Source(models.TextChoices):
        DIGEST = "digest"
        SEARCH = "search"
        EMAIL = "email"
        PAPER_PAGE = "paper", "paper page"
        ONBOARDING = "onboarding"
        LIBRARY = "library"
        SEMINAR = "seminar"

    STATES = (Kind.LIKE, Kind.SAVE, Kind.DISMISS)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interactions")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="interaction_user_recent"),
            models.Index(fields=["paper", "kind"], name="interaction_paper_kind"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "paper", "kind"],
                condition=models.Q(kind__in=["like", "save", "dismiss"]),
                name="interaction_one_state_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.paper_id}"


class ModelVersion(models.Model):
    """One training run of the two-tower retriever; at most one is active."""

    class Status(models.TextChoices):
        TRAINING = "training"
        READY = "ready", "trained, not better than the active one"
        ACTIVE = "active"
        RETIRED = "retired"
        FAILED = "failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRAINING, db_index=True)
    config = models.JSONField(default=dict)
    data_start = models.DateTimeField(null=True, blank=True)
    data_end = models.DateTimeField(null=True, blank=True)
    interactions = models.PositiveIntegerField(default=0)
    readers = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, help_text="Offline metrics from the evaluation harness.")
    baselines = models.JSONField(
        default=dict, blank=True, help_text="The harness's baselines on the same split: {method: {metric: mean}}."
    )
    history = models.JSONField(default=list, blank=True, help_text="Per epoch: loss and validation hit@20.")
    checkpoint = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="one_active_model_version"
            )
        ]

    def __str__(self) -> str:
        return f"model #{self.pk} ({self.status})"


class ItemVector(models.Model):
    """A paper as the active retriever's item tower sees it."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="item_vectors")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    vector = VectorField(dimensions=TWO_TOWER_DIM)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model_version", "paper"], name="itemvector_unique")]
        indexes = [
            HnswIndex(
                name="itemvector_hnsw_ip", fields=["vector"], m=16, ef_construction=64, opclasses=["vector_ip_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"paper {self.paper_id} in model #{self.model_version_id}"


class ReaderVector(models.Model):
    """A reader's vector from the active model and their history; stale once they act again."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    vector = VectorField(dimensions=TWO_TOWER_DIM)
    history_until = models.DateTimeField(help_text="The newest interaction it has seen.")
    # what the model's item-item neighbours score from: the reader's library, every paper they read
    # (recsys.neighbors.library_means), from the same interactions as the vector (null: cached before
    # they were kept, so made again on the next read)
    history_rows = ArrayField(
        models.IntegerField(),
        null=True,
        blank=True,
        help_text="Its library's catalogue rows: each paper read once (-1: newer papers).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reader {self.user_id} in model #{self.model_version_id}"
