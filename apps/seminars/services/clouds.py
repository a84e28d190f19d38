"""Word clouds of paper titles: the seminar archive's, and one per digest week.

Titles are counted as terms, not words: stopwords suited to titles go ("via", "towards", "using"...),
phrases that recur across titles ("large language models") stay whole, and a plural folds into its
singular when both occur. The image is drawn by `wordcloud` into a file named after its content, so a
page can cache it for ever; the row keeps the top terms for the alt text.
"""

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from apps.common.generations import CLOUDS, bump
from apps.common.keys import WORD_CLOUD_CACHE, cache_key
from apps.papers.models import Paper
from apps.papers.weeks import Week
from apps.seminars.models import SeminarSeries, Session, Talk, WordCloud

TITLE_STOPWORDS = frozenset(
    """
    a an and are as at be beyond by can do does for from how in into is it its of on or our the their this
    to toward towards under via vs we what when where which while why with without using use based
    approach approaches method methods new novel study paper work framework frameworks toward
    rethinking revisiting improving enhancing leveraging boosting exploring understanding
    case one two all more not than through over between across about against s
""".split()
)
MIN_PHRASE_TITLES = 3  # a pair or triple of words recurring in this many titles is one term
MAX_TERMS = 120
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]|[A-Za-z0-9]")
IMAGE_NAME = re.compile(r"^[a-z0-9-]+\.png$")


def _tokens(title: str) -> list[str]:
    return [token.lower() for token in TOKEN.findall(title.replace("’", "'").replace("'s ", " "))]


def _phrases(titles: list[list[str]]) -> set[tuple[str, ...]]:
    """Runs of 2-3 non-stopwords found in at least MIN_PHRASE_TITLES titles."""
    seen: Counter = Counter()
    for tokens in titles:
        grams = set()
        for size in (2, 3):
            for start in range(len(tokens) - size + 1):
                gram = tuple(tokens[start : start + size])
                if not any(word in TITLE_STOPWORDS or word.isdigit() for word in gram):
                    grams.add(gram)
        seen.update(grams)
    return {gram for gram, count in seen.items() if count >= MIN_PHRASE_TITLES}


def title_terms(titles: Iterable[str]) -> Counter:
    """How often each term occurs across the titles, phrases kept whole, plurals folded."""
    tokenized = [_tokens(title) for title in titles]
    phrases = _phrases(tokenized)
    counts: Counter = Counter()
    for tokens in tokenized:
        at = 0
        while at < len(tokens):
            for size in (3, 2):  # longest phrase first
                if tuple(tokens[at : at + size]) in phrases:
                    counts[" ".join(tokens[at : at + size])] += 1
                    at += size
                    break
            else:
                word = tokens[at]
                if word not in TITLE_STOPWORDS and not word.isdigit() and len(word) > 1:
                    counts[word] += 1
                at += 1
    return _fold_plurals(counts)


def _fold_plurals(counts: Counter) -> Counter:
    folded = Counter(counts)
    for term in list(counts):
        singular = term[:-1]
        if term.endswith("s") and not term.endswith("ss") and singular in folded and term in folded:
            keep, drop = (term, singular) if counts[term] > counts[singular] else (singular, term)
            folded[keep] += folded.pop(drop)
    return folded


def cloud_titles(key: str) -> list[str]:
    """The titles behind a cloud: talks given in a series (series:<slug>), or a digest week's papers (week:<label>)."""
    kind, _, name = key.partition(":")
    if kind == "series":
        return list(
            Talk.objects.filter(
                session__series__slug=name,
                status=Talk.Status.CONFIRMED,
                session__in=Session.objects.past().exclude(status=Session.Status.CANCELLED),
            ).values_list("title", flat=True)
        )
    if kind == "week":
        week = Week.from_label(name)
        return list(
            Paper.objects.visible().filter(announced__range=(week.monday, week.sunday)).values_list("title", flat=True)
        )
    raise ValueError(f"Unknown word cloud {key!r}: use series:<slug> or week:<2026-W48>.")


def series_cloud_key(series: SeminarSeries) -> str:
    return f"series:{series.slug}"


def week_cloud_key(week: Week) -> str:
    return f"week:{week.label}"


def clouds_dir() -> Path:
    return Path(settings.RETRIEVER_CLOUDS_DIR)


def cloud_rebuild(key: str) -> WordCloud:
    """Redraw the cloud if its titles changed (or its file is gone); concurrent rebuilds of one key queue up."""
    titles = cloud_titles(key)
    digest = hashlib.sha256("\n".join(sorted(titles)).encode()).hexdigest()
    WordCloud.objects.get_or_create(key=key, defaults={"titles_digest": ""})
    with transaction.atomic():
        cloud = WordCloud.objects.select_for_update().get(key=key)
        if cloud.titles_digest == digest and (not cloud.image or (clouds_dir() / cloud.image).exists()):
            return cloud
        terms = title_terms(titles).most_common(MAX_TERMS)
        old_image = cloud.image
        cloud.image = _draw(key, digest, dict(terms)) if terms else ""
        cloud.titles_digest, cloud.titles, cloud.terms = digest, len(titles), [list(pair) for pair in terms]
        cloud.save()
        transaction.on_commit(lambda: cache.delete(cache_key(WORD_CLOUD_CACHE, key)))
        bump(CLOUDS)  # pages kept whole (the digest) show the new cloud on their next load
    if old_image and old_image != cloud.image:
        (clouds_dir() / old_image).unlink(missing_ok=True)
    return cloud


def _draw(key: str, digest: str, frequencies: dict[str, int]) -> str:
    from wordcloud import WordCloud as Drawing  # matplotlib and PIL: loaded only by the worker that draws

    name = f"{re.sub(r'[^a-z0-9]+', '-', key.lower()).strip('-')}-{digest[:12]}.png"
    directory = clouds_dir()
    directory.mkdir(parents=True, exist_ok=True)
    drawing = Drawing(
        width=960,
        height=420,
        background_color="white",
        colormap="viridis",
        random_state=7,
        prefer_horizontal=0.95,
        max_words=MAX_TERMS,
        margin=4,
    )
    partial = directory / f".{name}.tmp.png"
    drawing.generate_from_frequencies(frequencies).to_file(str(partial))
    partial.replace(directory / name)  # atomic: a page never links a half-written file
    return name


def refresh_keys(*, recent_weeks: int = 2) -> list[str]:
    """The clouds worth checking now: every series' archive and the newest digest weeks."""
    keys = [series_cloud_key(series) for series in SeminarSeries.objects.all()]
    newest = Paper.objects.visible().order_by("-announced").values_list("announced", flat=True).first()
    if newest:
        week = Week.containing(newest)
        for _ in range(recent_weeks):
            keys.append(week_cloud_key(week))
            week = week.previous
    return keys
