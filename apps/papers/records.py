"""One normalised shape for a paper, whatever it came from: the arXiv API or a JSONL snapshot.

A PaperRecord checks itself against the catalogue's limits when it is made, so every source passes the
same validation before anything is written: a bad record is an InvalidRecord (skipped and recorded on
its run), never a database error that takes the good records beside it down too.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.papers.models import Author, Paper

ARXIV_ID = re.compile(r"(?P<id>(\d{4}\.\d{4,5})|([a-z\-]+(\.[A-Z]{2})?/\d{7}))(v(?P<version>\d{1,9}))?\Z")
WITHDRAWN = re.compile(r"\b(this (paper|submission|article) (has been|was|is) withdrawn|withdrawn by the author)", re.I)
EASTERN = ZoneInfo("America/New_York")
ANNOUNCEMENT_CUTOFF = dt.time(14, 0)
# C0 controls but tab and newlines, lone surrogates and the two non-characters: PostgreSQL refuses NUL,
# XML 1.0 (the Atom feeds) refuses all of them, and no paper needs them.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FIRST_SUBMISSION = dt.datetime(1991, 8, 1, tzinfo=dt.UTC)
MAX_VERSION = MAX_AUTHORS = 32767  # smallint columns: PaperVersion.version, Authorship.position


class InvalidRecord(ValueError):
    pass


@dataclass(frozen=True)
class PaperRecord:
    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: list[str]
    primary_category: str
    categories: list[str]
    published: dt.datetime
    updated: dt.datetime
    announced: dt.date
    comment: str = ""
    journal_ref: str = ""
    doi: str = ""
    withdrawn: bool = field(default=False)

    def __post_init__(self):
        if problems := self.problems():
            raise InvalidRecord(f"{self.arxiv_id}: {'; '.join(problems)}")

    def problems(self) -> list[str]:
        """What would not fit the catalogue's columns, or makes no sense for an arXiv paper."""
        found = []
        if len(self.arxiv_id) > _max_length(Paper, "arxiv_id"):
            found.append(f"id longer than {_max_length(Paper, 'arxiv_id')} characters")
        if not 1 <= self.version <= MAX_VERSION:
            found.append(f"version {self.version} out of range (1-{MAX_VERSION})")
        if not self.title:
            found.append("no title")
        if len(self.authors) > MAX_AUTHORS:
            found.append(f"{len(self.authors)} authors (at most {MAX_AUTHORS})")
        found += [
            f"author name longer than {_max_length(Author, 'name')} characters: {name[:40]!r}..."
            for name in self.authors
            if len(name) > _max_length(Author, "name")
        ]
        found += [
            f"category longer than {_max_length(Paper, 'primary_category')} characters: {category[:40]!r}..."
            for category in {self.primary_category, *self.categories}
            if len(category) > _max_length(Paper, "primary_category")
        ]
        if len(self.doi) > _max_length(Paper, "doi"):
            found.append(f"DOI longer than {_max_length(Paper, 'doi')} characters")
        latest = timezone.now() + dt.timedelta(days=7)
        found += [
            f"{name} date {moment:%Y-%m-%d} outside arXiv's lifetime"
            for name, moment in (("published", self.published), ("updated", self.updated))
            if not FIRST_SUBMISSION <= moment <= latest
        ]
        return found


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def split_arxiv_id(raw: str) -> tuple[str, int | None]:
    """'http://arxiv.org/abs/2501.01234v2' -> ('2501.01234', 2); a bare id has no version."""
    tail = raw.strip().rstrip("/").split("/abs/")[-1]
    match = ARXIV_ID.search(tail)
    if not match:
        raise InvalidRecord(f"not an arXiv id: {raw[:80]!r}")
    version = match.group("version")
    return match.group("id"), int(version) if version else None


def announcement_date(submitted: dt.datetime) -> dt.date:
    """The evening (Eastern) on which arXiv announces a submission, from its schedule, holidays aside.

    A day's deadline is 14:00 Eastern; Monday-Thursday deadlines are announced that evening, Friday's on
    Sunday evening, and weekend submissions wait for Monday's deadline.
    """
    local = submitted.astimezone(EASTERN)
    deadline = local.date() + dt.timedelta(days=1 if local.time() >= ANNOUNCEMENT_CUTOFF else 0)
    while deadline.weekday() >= 5:
        deadline += dt.timedelta(days=1)
    return deadline + dt.timedelta(days=2) if deadline.weekday() == 4 else deadline


def is_withdrawn(comment: str, abstract: str) -> bool:
    return bool(WITHDRAWN.search(comment or "") or WITHDRAWN.search((abstract or "")[:300]))


def printable(text: str | None) -> str:
    """The text without the characters no column or feed should hold (see UNPRINTABLE)."""
    return UNPRINTABLE.sub("", text or "")


def clean(text: str | None) -> str:
    """One line: printable, whitespace collapsed."""
    return " ".join(printable(text).split())


def from_arxiv_result(result) -> PaperRecord:
    """An `arxiv.Result` (the API's Atom entry) as a record."""
    arxiv_id, version = split_arxiv_id(result.entry_id)
    abstract = printable(result.summary).strip()
    comment = clean(result.comment)
    if not result.published or not result.updated:
        raise InvalidRecord(f"{arxiv_id}: entry has no submission time")
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version or 1,
        title=clean(result.title),
        abstract=abstract,
        authors=[clean(author.name) for author in result.authors if clean(author.name)],
        primary_category=clean(result.primary_category or (result.categories[0] if result.categories else "")),
        categories=list(dict.fromkeys(clean(category) for category in result.categories)),
        published=result.published,
        updated=result.updated,
        announced=_announced(arxiv_id, result.published),
        comment=comment,
        journal_ref=clean(result.journal_ref),
        doi=clean(result.doi),
        withdrawn=is_withdrawn(comment, abstract),
    )


def _announced(arxiv_id: str, published: dt.datetime) -> dt.date:
    try:
        return announcement_date(published)
    except OverflowError:
        raise InvalidRecord(f"{arxiv_id}: published date {published:%Y-%m-%d} outside arXiv's lifetime") from None


def _text(row: dict, key: str, *, required: bool = False) -> str:
    value = row.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidRecord(f"{key!r} must be a string, not {type(value).__name__}")
    return value


def _strings(row: dict, key: str) -> list[str]:
    """A list of strings; a bare string would otherwise be split into its characters."""
    value = row.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidRecord(f"{key!r} must be a list of strings, not {type(value).__name__}")
    return [name for name in map(clean, value) if name]


def from_snapshot(row: dict) -> PaperRecord:
    """A line of the bundled JSONL snapshot (schema in data/sample/README.md).

    The snapshot has no versions or timestamps: its announcement date stands in for both, and the
    version is 1, so an API record of the same paper always wins.
    """
    if not isinstance(row, dict):
        raise InvalidRecord(f"a row must be a JSON object, not {type(row).__name__}")
    arxiv_id, version = split_arxiv_id(_text(row, "arxiv_id", required=True))
    try:
        announced = dt.date.fromisoformat(_text(row, "announced_date", required=True))
    except ValueError as error:
        raise InvalidRecord(f"{arxiv_id}: announced_date: {error}") from None
    try:
        categories = list(dict.fromkeys(_strings(row, "categories")))
        authors = _strings(row, "authors")
        title, abstract = clean(_text(row, "title")), printable(_text(row, "abstract")).strip()
        comment = clean(_text(row, "comment"))
    except InvalidRecord as error:
        raise InvalidRecord(f"{arxiv_id}: {error}") from None
    moment = dt.datetime.combine(announced, dt.time(0, 0), tzinfo=dt.UTC)
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version or 1,
        title=title,
        abstract=abstract,
        authors=authors,
        primary_category=categories[0] if categories else "",
        categories=categories,
        published=moment,
        updated=moment,
        announced=announced,
        comment=comment,
        withdrawn=is_withdrawn(comment, abstract),
    )
