"""The arXiv catalogue. It knows papers and authors, nothing of readers."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Func


class Author(models.Model):
    name = models.CharField(max_length=300, unique=True)

    def __str__(self) -> str:
        return self.name


def title_terms() -> Func:
    """The title's lexemes (english, as in search_vector), and each one the title repeats once more with
    REPEATED_MARK in front (SQL function paper_title_terms, papers 0005)."""
    return Func(F("title"), function="paper_title_terms", output_field=SearchVectorField())


# A parsed word never holds a space, so no lexeme of a title starts with one.
REPEATED_MARK = " "


class PaperQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(withdrawn=False)


class Paper(models.Model):
    arxiv_id = models.CharField("arXiv id", max_length=32, unique=True, help_text="Without version.")
    version = models.PositiveSmallIntegerField(default=1)
    title = models.TextField()
    abstract = models.TextField()
    authors = models.ManyToManyField(Author, through="Authorship", related_name="papers")
    # Denormalised for display and full-text search, in the order arXiv lists them.
    authors_text = models.TextField(blank=True)
    primary_category = models.CharField(max_length=32, db_index=True)
    categories = ArrayField(models.CharField(max_length=32), default=list)
    published = models.DateTimeField(help_text="First version's submission time.")
    updated = models.DateTimeField(help_text="Current version's submission time.")
    announced = models.DateField(db_index=True, help_text="When arXiv announced it (approximate for API records).")
    comment = models.TextField(blank=True)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    withdrawn = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config="english")
        + SearchVector("abstract", weight="B", config="english")
        + SearchVector("authors_text", weight="C", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["-announced", "-arxiv_id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="paper_search_gin"),
            GinIndex(fields=["categories"], name="paper_categories_gin"),
            # Search by meaning with filters checks each nearest candidate's filters; with these columns
            # in the index that is an index-only probe, not a read of the wide row (papers 0004).
            models.Index(fields=["id"], include=["announced", "withdrawn", "categories"], name="paper_filter_cover"),
            # Which papers carry a query's words in the title, once or more, without reading a row: that
            # bounds what ts_rank can give them (apps/search/selectors/title_bound.py, papers 0005).
            GinIndex(title_terms(), name="paper_title_terms_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.arxiv_id}v{self.version}: {self.title}"

    def ordered_authors(self) -> models.QuerySet[Author]:
        return self.authors.order_by("authorship__position")

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"


class Authorship(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["paper", "position"], name="authorship_unique_position")]

    def __str__(self) -> str:
        return f"{self.paper_id} #{self.position}: {self.author_id}"


class PaperVersion(models.Model):
    """Every version of a paper we have seen, so an update never erases what was there."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField()
    title = models.TextField()
    abstract = models.TextField()
    updated = models.DateTimeField()
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paper", "version"]
        constraints = [models.UniqueConstraint(fields=["paper", "version"], name="paperversion_unique")]

    def __str__(self) -> str:
        return f"{self.paper_id} v{self.version}"


class IngestRun(models.Model):
    """One ingestion or import, from start to an end that always comes: succeeded, partial or failed."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        PARTIAL = "partial", "partial (some records rejected)"
        FAILED = "failed"

    COMPLETED = [Status.SUCCEEDED, Status.PARTIAL]
    MAX_REJECTED_KEPT = 1000

    class Source(models.TextChoices):
        ARXIV_API = "arxiv_api", "arXiv API"
        SNAPSHOT = "snapshot", "JSONL snapshot"

    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING, db_index=True)
    query = models.TextField(blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    pages_fetched = models.PositiveIntegerField(default=0)
    seen = models.PositiveIntegerField(default=0, help_text="Entries received, before the relevance rule.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Unchanged, older or off-topic entries.")
    errors = models.PositiveIntegerField(default=0, help_text="Records rejected as invalid (see rejected).")
    rejected = models.JSONField(
        default=list,
        blank=True,
        help_text="The rejected records, [{'id': arXiv id or 'line N', 'reason': ...}], the first 1000.",
    )
    error_message = models.TextField(blank=True, help_text="Why the run failed, or which records it rejected.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    fetch_seconds = models.FloatField(default=0)
    store_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.get_source_display()} run #{self.pk} ({self.status})"

    def reject(self, record_id: str, reason: str) -> None:
        """Count a record skipped as invalid, and keep which one and why."""
        self.errors += 1
        if len(self.rejected) < self.MAX_REJECTED_KEPT:
            self.rejected.append({"id": record_id, "reason": reason})

    def summary(self) -> str:
        return (
            f"{self.status}: {self.seen} seen, {self.created} created, {self.updated} updated, "
            f"{self.skipped} skipped, {self.errors} errors, {self.pages_fetched} pages"
            + (f" — {self.error_message}" if self.error_message else "")
        )
