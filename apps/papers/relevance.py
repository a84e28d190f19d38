"""Which arXiv papers are RecSys papers: the one gate of every ingestion path.

Two stages. A paper must be listed in one of the categories we read. Then a classifier over its text
embedding decides (recsys/relevance.py; measured in docs/relevance.md: on 500 hand-labelled papers the
keyword rule below keeps every cs.IR paper, RAG and image retrieval included, at precision 0.15). It
ships trained (data/relevance/classifier.json) and is refit from people's verdicts with
`relevance_refit`; the refit one, under var/, wins. Where it cannot run (another text model, no model
files), the transparent rule decides: cs.IR taken whole, the neighbouring categories when a RecSys term
is in the title or abstract. `RETRIEVER_RELEVANCE` in settings may override any key of `DEFAULT_RULE`
(`"classifier": False` keeps to the rule).
"""

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings

from apps.papers.models import Paper
from apps.papers.records import PaperRecord
from recsys.encoder import default_model_path, load_encoder, paper_text
from recsys.relevance import RelevanceClassifier, fit

logger = logging.getLogger(__name__)
DATA = Path(settings.BASE_DIR) / "data"
SHIPPED_CLASSIFIER = DATA / "relevance" / "classifier.json"
LABELLED_PAPERS = DATA / "relevance" / "labelled_papers.jsonl"
SEED_PAPERS = DATA / "sample" / "arxiv_papers.jsonl"
# One person's verdict counts as much as ten keyword-rule seeds (docs/relevance.md, chosen by CV).
HUMAN_WEIGHT = 10.0

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
    "classifier": True,
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


def refit_path() -> Path:
    return Path(settings.VAR_DIR) / "relevance" / "classifier.json"


@lru_cache(maxsize=2)
def _load(path: str, modified: float) -> RelevanceClassifier:
    return RelevanceClassifier.load(Path(path))


def current_classifier() -> RelevanceClassifier | None:
    """The refit classifier if there is one, else the shipped one; None when settings turn it off."""
    if not {**DEFAULT_RULE, **getattr(settings, "RETRIEVER_RELEVANCE", {})}["classifier"]:
        return None
    path = refit_path() if refit_path().exists() else SHIPPED_CLASSIFIER
    return _load(str(path), path.stat().st_mtime) if path.exists() else None


def _classifier_verdicts(records: list[PaperRecord]) -> np.ndarray | None:
    """Per record, whether the classifier accepts it; None when it cannot judge here."""
    classifier = current_classifier()
    if classifier is None or not records:
        return None
    try:
        encoder = load_encoder(str(default_model_path()), "auto")
    except (OSError, ImportError) as error:
        logger.warning("Relevance classifier unavailable (%s); the keyword rule decides", error)
        return None
    if encoder.name != classifier.text_model:
        logger.warning(
            "Relevance classifier is for %s, not %s; the keyword rule decides until a refit",
            classifier.text_model,
            encoder.name,
        )
        return None
    return classifier.accepts(encoder.encode([paper_text(r.title, r.abstract) for r in records]))


def keep_relevant(records: list[PaperRecord], *, rule: Rule | None = None) -> list[PaperRecord]:
    """The records to store: listed in a category we read, and accepted by the classifier (or the rule)."""
    rule = rule or current_rule()
    listed = [record for record in records if any(category in rule.categories for category in record.categories)]
    verdicts = _classifier_verdicts(listed)
    if verdicts is not None:
        return [record for record, accepted in zip(listed, verdicts) if accepted]
    return [
        record
        for record in listed
        if relevance_reason(title=record.title, abstract=record.abstract, categories=record.categories, rule=rule)
    ]


def training_set(pairs: Iterable[tuple[str, str, bool]] = ()) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels and weights to fit on: the bundled sample labelled by the rule's keywords (seeds;
    the category clause is left out: it is what lets RAG in), the hand-labelled papers and `pairs`
    (title, abstract, accepted), a person's verdict weighing HUMAN_WEIGHT seeds."""
    rule = current_rule()
    people = [(row["title"], row["abstract"], row["of_interest"]) for row in _rows(LABELLED_PAPERS)] + list(pairs)
    labelled = {(title, abstract) for title, abstract, _ in people}
    seeds = [
        (row["title"], row["abstract"], bool(rule.pattern.search(row["title"]) or rule.pattern.search(row["abstract"])))
        for row in _rows(SEED_PAPERS)
        if (row["title"], row["abstract"]) not in labelled
    ]
    texts = [paper_text(title, abstract) for title, abstract, _ in seeds + people]
    labels = np.array([accepted for _, _, accepted in seeds + people])
    weights = np.array([1.0] * len(seeds) + [HUMAN_WEIGHT] * len(people))
    return texts, labels, weights


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def relevance_refit(pairs: Iterable[tuple[Paper, bool]]) -> RelevanceClassifier:
    """Refit the classifier with people's (paper, accepted) verdicts, e.g. editors' decisions, on top
    of the shipped training set; the next ingestion uses it. Encodes every training text (a minute or
    two on a CPU)."""
    pairs = [(paper.title, paper.abstract, bool(accepted)) for paper, accepted in pairs]
    texts, labels, weights = training_set(pairs)
    encoder = load_encoder(str(default_model_path()), "auto")
    classifier = fit(
        encoder.encode(texts),
        labels,
        weights,
        text_model=encoder.name,
        trained_on=f"{len(texts) - len(pairs)} shipped examples and {len(pairs)} verdicts from people",
    )
    classifier.save(refit_path())
    return classifier
