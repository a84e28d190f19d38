"""What a reader typed, made safe to hand to PostgreSQL: limits, arXiv ids, and user-facing messages."""

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Q

MAX_QUERY_LENGTH = 300
MAX_TEXT_LENGTH = 5000
MIN_TEXT_WORDS = 3

QUERY_TOO_LONG = (
    f"Search queries are limited to {MAX_QUERY_LENGTH} characters. To find papers like a longer text, "
    "paste it into “Find papers like this text”."
)
TEXT_TOO_LONG = f"Pasted texts are limited to {MAX_TEXT_LENGTH} characters; an abstract is plenty."
TEXT_TOO_SHORT = f"Paste at least {MIN_TEXT_WORDS} words, such as an abstract."
EMPTY_QUERY = "Type words, a phrase in quotes or an arXiv id to search the papers."
BAD_DATE_RANGE = "The start date must not be after the end date."
NO_RESULTS = "No papers match. Try fewer words, another mode, or wider filters."
NO_GOOD_MATCH = (
    "Nothing matches this well, by words or by meaning. Try other words (a method, a task, an author), "
    "or wider filters."
)
NOT_IN_CATALOGUE = "arXiv:{arxiv_id} is not in the catalogue, which keeps RecSys papers only. "
SEMANTIC_UNAVAILABLE = "Search by meaning is not available yet (no paper vectors); showing keyword matches only."
SEMANTIC_PARTIAL = "Search by meaning covers {done} of {total} papers so far; the rest are being embedded."
NOT_EMBEDDED_YET = "Similar papers appear here once this paper has been embedded."

# New-style ids (2501.01234, 0704.0001) and old-style ones (hep-th/9901001, math.GT/0309136).
ARXIV_ID = re.compile(
    r"^(?:arxiv:|https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/)?"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?$",
    re.IGNORECASE,
)
# NUL makes PostgreSQL reject the text outright; other control characters are noise in a query.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())


def arxiv_id_in(query: str) -> str | None:
    """The bare arXiv id when the whole query is one (with or without version, prefix or URL)."""
    match = ARXIV_ID.match(query.strip())
    if not match:
        return None
    found = match.group("id")
    # Archive names are lower case, subject classes upper case: hep-th/..., math.GT/...
    if "/" in found:
        archive, number = found.split("/")
        name, _, subject = archive.partition(".")
        found = f"{name.lower()}{'.' + subject.upper() if subject else ''}/{number}"
    return found


@dataclass(frozen=True)
class SearchFilters:
    date_from: date | None = None
    date_to: date | None = None
    category: str = ""

    def as_q(self) -> Q:
        q = Q()
        if self.date_from:
            q &= Q(announced__gte=self.date_from)
        if self.date_to:
            q &= Q(announced__lte=self.date_to)
        if self.category:
            q &= Q(categories__contains=[self.category])
        return q
