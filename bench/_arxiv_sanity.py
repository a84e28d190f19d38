"""arxiv-sanity-lite's ranking, reimplemented as its compute.py and serve.py do it (bench/archive_rank.py).

TF-IDF over title + abstract + authors (word 1-2-grams, sublinear tf, 10,000 features, min_df 5,
max_df 0.5; built once), then per request a LinearSVC (class_weight balanced, C 0.01, tol 1e-6) trained
on the whole archive with the reader's liked and saved papers as positives, and every paper scored and
sorted. The benchmark's catalogue has 560 distinct texts, so the analyzer's tokens are cached per
distinct text (the features are the same as without the cache; only the one-off build is faster).
Import it once Django is set up.
"""

import functools

import numpy as np
from sklearn import svm
from sklearn.feature_extraction.text import TfidfVectorizer

from apps.papers.models import Paper


def tfidf_features(n: int):
    """arxiv-sanity-lite's compute.py, on the same papers."""
    words = TfidfVectorizer(
        input="content",
        encoding="utf-8",
        decode_error="replace",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
    )
    # Its analyzer, remembered per distinct text: the same tokens, the same features.
    vectorizer = TfidfVectorizer(
        analyzer=functools.lru_cache(maxsize=None)(words.build_analyzer()),
        max_features=10_000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.5,
        min_df=5,
    )
    rows = Paper.objects.order_by("id").values_list("id", "title", "abstract", "authors_text")
    distinct: dict[str, str] = {}
    paper_ids, corpus = [], []
    for paper_id, title, abstract, authors in rows.iterator(chunk_size=20_000):
        text = " ".join([title, abstract, authors.replace(",", " ")])
        paper_ids.append(paper_id)
        corpus.append(distinct.setdefault(text, text))
    return paper_ids, vectorizer.fit_transform(corpus).astype(np.float32)


def svm_rank(x, index: dict[int, int], positives: list[int]) -> np.ndarray:
    """arxiv-sanity-lite's serve.py svm_rank: a fresh classifier per request, every paper scored."""
    y = np.zeros(x.shape[0], dtype=np.float32)
    y[[index[pid] for pid in positives]] = 1.0
    clf = svm.LinearSVC(class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01)
    clf.fit(x, y)
    return np.argsort(-clf.decision_function(x))
