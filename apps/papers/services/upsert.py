"""The one write path into the catalogue: upsert by arXiv id, newest version wins, history kept."""

import time
from dataclasses import dataclass

from django.db import DataError, IntegrityError, connection, transaction

from apps.common.generations import SERVING, bump
from apps.common.keys import CATALOGUE_WRITE_LOCK
from apps.papers.models import Author, Authorship, IngestRun, Paper, PaperVersion
from apps.papers.records import PaperRecord

PAPER_FIELDS = [
    "version",
    "title",
    "abstract",
    "authors_text",
    "primary_category",
    "categories",
    "published",
    "updated",
    "announced",
    "comment",
    "journal_ref",
    "doi",
    "withdrawn",
]


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    skipped: int = 0

    def __iadd__(self, other: "UpsertCounts") -> "UpsertCounts":
        self.created += other.created
        self.updated += other.updated
        self.skipped += other.skipped
        return self


def _newest_per_paper(records: list[PaperRecord]) -> dict[str, PaperRecord]:
    newest: dict[str, PaperRecord] = {}
    for record in records:
        if record.arxiv_id not in newest or record.version > newest[record.arxiv_id].version:
            newest[record.arxiv_id] = record
    return newest


def _paper_values(record: PaperRecord) -> dict:
    values = {name: getattr(record, name) for name in PAPER_FIELDS if name != "authors_text"}
    values["authors_text"] = ", ".join(record.authors)
    return values


def _author_ids(names: set[str]) -> dict[str, int]:
    Author.objects.bulk_create([Author(name=name) for name in names], ignore_conflicts=True)
    return dict(Author.objects.filter(name__in=names).values_list("name", "id"))


@transaction.atomic
def upsert_records(records: list[PaperRecord]) -> UpsertCounts:
    """Store a batch of records in one transaction; all of it lands, or none of it."""
    with connection.cursor() as cursor:
        # Serialises catalogue writers (an ingestion run and a snapshot import, say) batch by batch,
        # so two of them never race to create the same paper or author.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CATALOGUE_WRITE_LOCK])
    newest = _newest_per_paper(records)
    counts = UpsertCounts(skipped=len(records) - len(newest))
    stored = {
        paper.arxiv_id: paper
        for paper in Paper.objects.filter(arxiv_id__in=newest).only("id", "arxiv_id", "version", "announced")
    }

    to_create = [record for arxiv_id, record in newest.items() if arxiv_id not in stored]
    to_update = [
        record
        for arxiv_id, record in newest.items()
        if arxiv_id in stored and record.version > stored[arxiv_id].version
    ]
    counts.skipped += len(newest) - len(to_create) - len(to_update)

    created = Paper.objects.bulk_create(
        [Paper(arxiv_id=record.arxiv_id, **_paper_values(record)) for record in to_create]
    )
    changed = list(created)
    for record in to_update:
        paper = stored[record.arxiv_id]
        values = _paper_values(record)
        # The announcement belongs to the first version: a revision is not a new paper.
        values["announced"] = paper.announced
        for name, value in values.items():
            setattr(paper, name, value)
        changed.append(paper)
    Paper.objects.bulk_update(changed[len(created) :], PAPER_FIELDS)

    by_id = {paper.arxiv_id: paper for paper in changed}
    changed_records = to_create + to_update
    Authorship.objects.filter(paper__in=[by_id[r.arxiv_id] for r in to_update]).delete()
    author_ids = _author_ids({name for record in changed_records for name in record.authors})
    Authorship.objects.bulk_create(
        [
            Authorship(paper=by_id[record.arxiv_id], author_id=author_ids[name], position=position)
            for record in changed_records
            for position, name in enumerate(dict.fromkeys(record.authors))
        ]
    )
    PaperVersion.objects.bulk_create(
        [
            PaperVersion(
                paper=by_id[record.arxiv_id],
                version=record.version,
                title=record.title,
                abstract=record.abstract,
                updated=record.updated,
            )
            for record in changed_records
        ],
        ignore_conflicts=True,
    )
    counts.created += len(to_create)
    counts.updated += len(to_update)
    if changed:
        bump(SERVING)  # cached rankings and week links must see the new papers
    return counts


def upsert_for_run(run: IngestRun, records: list[PaperRecord]) -> None:
    """Upsert a batch and add what happened, and how long it took, to the run's counters.

    Records are validated when they are made (PaperRecord.problems), so the database should accept
    them all; if it refuses one all the same, the batch is stored record by record and only the
    refused ones are rejected on the run.
    """
    started = time.monotonic()
    try:
        counts = upsert_records(records)
    except (DataError, IntegrityError):
        counts = UpsertCounts()
        for record in records:
            try:
                counts += upsert_records([record])
            except (DataError, IntegrityError) as error:
                run.reject(record.arxiv_id, f"refused by the database: {str(error).strip()[:300]}")
    run.store_seconds += time.monotonic() - started
    run.created += counts.created
    run.updated += counts.updated
    run.skipped += counts.skipped
