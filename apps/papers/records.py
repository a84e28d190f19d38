"""One normalised shape for a paper, whatever it came from: the arXiv API or a JSONL snapshot."""
import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

ARXIV_ID = re.compile(r"(?P<id>(\d{4}\.\d{4,5})|([a-z\-]+(\.[A-Z]{2})?/\d{7}))(v(?P<version>\d+))?$")
WITHDRAWN = re.compile(r"\b(this (paper|submission|article) (has been|was|is) withdrawn|withdrawn by the author)", re.I)
EASTERN = ZoneInfo("America/New_York")
ANNOUNCEMENT_CUTOFF = dt.time(14, 0)


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


def split_arxiv_id(raw: str) -> tuple[str, int | None]:
    """'http://arxiv.org/abs/2501.01234v2' -> ('2501.01234', 2); a bare id has no version."""
    tail = raw.strip().rstrip("/").split("/abs/")[-1]
    match = ARXIV_ID.search(tail)
    if not match:
        raise InvalidRecord(f"not an arXiv id: {raw!r}")
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


def clean(text: str | None) -> str:
    return " ".join((text or "").split())


def from_arxiv_result(result) -> PaperRecord:
    """An `arxiv.Result` (the API's Atom entry) as a record."""
    arxiv_id, version = split_arxiv_id(result.entry_id)
    if not result.title.strip():
        raise InvalidRecord(f"{arxiv_id}: entry has no title")
    abstract = (result.summary or "").strip()
    comment = clean(result.comment)
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version or 1,
        title=clean(result.title),
        abstract=abstract,
        authors=[clean(author.name) for author in result.authors if clean(author.name)],
        primary_category=result.primary_category or (result.categories[0] if result.categories else ""),
        categories=list(dict.fromkeys(result.categories)),
        published=result.published,
        updated=result.updated,
        announced=announcement_date(result.published),
        comment=comment,
        journal_ref=clean(result.journal_ref),
        doi=clean(result.doi),
        withdrawn=is_withdrawn(comment, abstract),
    )


def from_snapshot(row: dict) -> PaperRecord:
    """A line of the bundled JSONL snapshot (schema in data/sample/README.md).

    The snapshot has no versions or timestamps: its announcement date stands in for both, and the
    version is 1, so an API record of the same paper always wins.
    """
    try:
        arxiv_id, version = split_arxiv_id(row["arxiv_id"])
        announced = dt.date.fromisoformat(row["announced_date"])
        title, abstract = clean(row["title"]), (row.get("abstract") or "").strip()
        categories = list(dict.fromkeys(row.get("categories") or []))
        authors = [clean(name) for name in row.get("authors") or [] if clean(name)]
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidRecord(f"bad snapshot row {str(row)[:80]!r}: {error}") from error
    if not title:
        raise InvalidRecord(f"{arxiv_id}: no title")
    moment = dt.datetime.combine(announced, dt.time(0, 0), tzinfo=dt.timezone.utc)
    comment = clean(row.get("comment"))
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
