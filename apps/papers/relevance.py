"""Which arXiv papers are RecSys papers: a transparent rule, configurable in settings.

cs.IR is taken whole; papers from the neighbouring categories must mention a RecSys term in their title
or abstract. `RETRIEVER_RELEVANCE` in settings may override any key of `DEFAULT_RULE`.
"""
import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from apps.papers.records import PaperRecord

DEFAULT_RULE = {
    "always": ["cs.IR"],
    "filtered": ["cs.LG", "cs.AI", "cs.CL", "stat.ML"],
    "keywords": [
        r"recommend\w*",
        r"collaborative filtering",
        r"click-through",
        r"\bCTR\b",
        r"two-tower",
        r"dual-encoder retrieval",
        r"sequential recommendation",
        r"next[- ](item|basket|POI)",
        r"learning[- ]to[- ]rank",
        r"user[- ]item",
        r"implicit feedback",
        r"matrix factori[sz]ation",
        r"cold[- ]start",
        r"candidate (generation|retrieval)",
        r"user (modeling|modelling|interest)",
        r"personali[sz]ed (ranking|search|feed)",
    ],
}


@dataclass(frozen=True)
class Rule:
    always: frozenset[str]
    filtered: frozenset[str]
    pattern: re.Pattern

    @property
    def categories(self) -> list[str]:
        return sorted(self.always | self.filtered)


@lru_cache(maxsize=4)
def _compile(always: tuple, filtered: tuple, keywords: tuple) -> Rule:
    return Rule(frozenset(always), frozenset(filtered), re.compile("|".join(f"(?:{k})" for k in keywords), re.I))


def current_rule() -> Rule:
    config = {**DEFAULT_RULE, **getattr(settings, "RETRIEVER_RELEVANCE", {})}
    return _compile(tuple(config["always"]), tuple(config["filtered"]), tuple(config["keywords"]))


def relevance_reason(*, title: str, abstract: str, categories: list[str], rule: Rule | None = None) -> str | None:
    """Why a paper is in ("category cs.IR", "keyword 'recommender'"), or None when it is out."""
    rule = rule or current_rule()
    always = [category for category in categories if category in rule.always]
    if always:
        return f"category {always[0]}"
    if not any(category in rule.filtered for category in categories):
        return None
    match = rule.pattern.search(title) or rule.pattern.search(abstract)
    return f"keyword {match.group(0)!r}" if match else None


def keep_relevant(records: list[PaperRecord], *, rule: Rule | None = None) -> list[PaperRecord]:
    """The records the rule accepts: the one gate of every ingestion path (the arXiv API, snapshots)."""
    rule = rule or current_rule()
    return [
        record for record in records
        if relevance_reason(title=record.title, abstract=record.abstract, categories=record.categories, rule=rule)
    ]
