"""The exact first k keyword matches of a broad query, ranked without reading every match.

Ranking reads the search vector of each match: "retrieval augmented generation" matches 62 % of 100,000
papers. ts_rank cannot give much to a paper whose title lacks the query's words, and two title indexes
tell, without reading a row, which papers have which words in the title: rank those, and the rest only
where their bound could still reach the k-th rank. The answer is the full ranking's, exactly.

With an OR at the query's root (`english | simple` always has one), ts_rank is PostgreSQL's calc_rank_or:

    rank = (1/s) Σ_l f(l),  f(l) = (w_max + Σ_j w_j / (j+1)² − w_max / (j_max+1)²) / ζ(2)

over the query's s distinct lexemes l and l's positions j in the paper's vector, w the weight (title A 1.0,
abstract B 0.4, authors C 0.2). Paper.search_vector lists title, abstract, then authors, so weights never
rise along a lexeme's positions, j_max = 0, and f(l) = Σ_j w_j / (j+1)² / ζ(2), hence

    f(l) < 1          l more than once in the title
    f(l) ≤ 0.7648     l once in the title: (1 + 0.4 (ζ(2) − 1)) / ζ(2)
    f(l) ≤ 0.4        l not in the title
    f(l) = 0          l not in the paper,

and one GIN index (paper_title_terms_gin) says which titles hold which lexemes, and which more than once.
"""

import itertools
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Q, QuerySet

from apps.papers.models import REPEATED_MARK, title_terms

ZETA_2 = 1.64493406685  # PostgreSQL's constant
REPEATED, ONCE, ABSENT = "repeated", "once", "absent"  # where a lexeme stands in a title
BOUND = {REPEATED: 1.0, ONCE: (1 + 0.4 * (ZETA_2 - 1)) / ZETA_2 + 1e-6, ABSENT: 0.4}
# ts_rank sums in single precision: a bound within this of the k-th rank counts as reaching it.
SLACK = 1e-5
# Beyond this many English lexemes the title patterns to check multiply (3 ** n); rank every match.
MAX_LEXEMES = 6
LEXEME = re.compile(r"'((?:[^'\\]|''|\\.)*)'")


class LexemeQuery(SearchQuery):
    """A tsquery in PostgreSQL's own syntax, its lexemes used as written (not parsed, not stemmed): an OR of
    ANDs, one inner list per clause."""

    def __init__(self, *clauses: list[str]):
        self.text = " | ".join("(" + " & ".join(_quoted(lexeme) for lexeme in clause) + ")" for clause in clauses)
        super().__init__(self.text, search_type="raw")

    def as_sql(self, compiler, connection, function=None, template=None):
        return "%s::tsquery", [self.text]


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True)
class Terms:
    english: list[str]  # the English half's distinct lexemes
    others: list[str]  # the simple half's lexemes that the English half lacks
    count: int  # s: ts_rank divides by the query's distinct lexemes


def query_terms(query: str) -> Terms | None:
    """The lexemes ts_rank sums over, or None where its formula is not the one bounded above."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT websearch_to_tsquery('english', %s)::text, websearch_to_tsquery('simple', %s)::text", [query, query]
        )
        english_text, simple_text = cursor.fetchone()
    if not english_text or not simple_text:  # one half empty: no OR at the root, ts_rank may use calc_rank_and
        return None
    operators = LEXEME.sub("", english_text + simple_text)
    if "!" in operators or ":" in operators or "<" in operators:
        # Exclusions, prefixes, weights: rank every match. Phrases too: PostgreSQL guesses that few papers
        # match one, then checks every match's title instead of reading the title index.
        return None
    english = _lexemes(english_text)
    others = [lexeme for lexeme in _lexemes(simple_text) if lexeme not in english]
    if not english or len(english) > MAX_LEXEMES:
        return None
    return Terms(english=english, others=others, count=len(english) + len(others))


def _lexemes(tsquery_text: str) -> list[str]:
    found = (match.replace("''", "'").replace("\\\\", "\\") for match in LEXEME.findall(tsquery_text))
    return list(dict.fromkeys(found))


def _title_clause(pattern: dict[str, str]) -> list[str]:
    """The lexemes a title must hold for `pattern`: each one not absent, and the repeated ones twice."""
    return [lexeme for lexeme, where in pattern.items() if where != ABSENT] + [
        REPEATED_MARK + lexeme for lexeme, where in pattern.items() if where == REPEATED
    ]


def patterns_reaching(english: list[str], *, total: float) -> list[dict[str, str]] | None:
    """The least demanding title patterns (each lexeme repeated, once or absent from the title) whose bound,
    summed over the lexemes, reaches `total`; the all-in-title ones excluded (ranked already). None when one
    needs no repeated lexeme: such a pattern selects too many papers to be worth listing."""
    reaching = []
    for places in itertools.product((ABSENT, ONCE, REPEATED), repeat=len(english)):
        if ABSENT in places and sum(BOUND[where] for where in places) >= total:
            reaching.append(places)
    order = {ABSENT: 0, ONCE: 1, REPEATED: 2}
    least = [
        places
        for places in reaching
        if not any(
            other != places and all(order[a] <= order[b] for a, b in zip(other, places, strict=True))
            for other in reaching
        )
    ]
    if any(REPEATED not in places for places in least):
        return None
    return [dict(zip(english, places, strict=True)) for places in least]


def exact_top(matches: QuerySet, *, query: str, limit: int) -> list[int] | None:
    """Ids of the first `limit` of `matches` (visible, filtered, matching `query`, ordered by rank, then date,
    then id, with `rank` annotated), exactly as ranking all of them would give; None where the bound cannot
    show it without ranking every match (the caller then does)."""
    terms = query_terms(query)
    if terms is None:
        return None
    candidates = Q(title_terms=LexemeQuery(terms.english))
    if terms.others:  # ranked wherever they occur: rarely anywhere but in an author's name
        candidates |= Q(search_vector=LexemeQuery(*([other] for other in terms.others)))
    matches = matches.alias(title_terms=title_terms())
    top = list(matches.filter(candidates).values_list("pk", "rank")[:limit])
    if len(top) < limit:
        return None
    # Every paper left out has some English lexeme absent from its title, and none of the others.
    patterns = patterns_reaching(terms.english, total=(top[-1][1] - SLACK) * terms.count)
    if patterns is None:
        return None
    if patterns:
        reach = Q(pk__in=[pk for pk, _ in top]) | Q(title_terms=LexemeQuery(*map(_title_clause, patterns)))
        top = list(matches.filter(reach).values_list("pk", "rank")[:limit])
    return [pk for pk, _ in top]
