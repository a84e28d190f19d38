"""Baselines a reader would otherwise get. Each `fit_*` returns a scorer: reader indices -> [b, N].

popularity   count of positive training events per item.
random       seeded uniform scores (a floor, not a method).
content_knn  cosine between an item and the mean embedding of the reader's positives.
user_logreg  per-reader logistic regression on text embeddings (Scholar Inbox's approach):
             positives vs. dismissed items and a seeded sample of other catalogue items; many
             readers solved at once in torch, to scikit-learn's LogisticRegression optimum.
tfidf_svm    per-reader linear SVM on TF-IDF of title + abstract (arxiv-sanity's approach),
             with the same positives and negatives.
The per-reader models are fitted lazily, only for the readers asked about.
"""
import numpy as np
import torch

from recsys.data import EVENT_CODE, ItemTable, Interactions
from recsys.logistic import logistic_regressions

BASELINES = ("popularity", "random", "content_knn", "user_logreg", "tfidf_svm")
SEEDLESS = ("popularity", "content_knn")   # the same scores for every seed: fitted once


def fit_popularity(train: Interactions, items: ItemTable, seed: int):
    counts = torch.from_numpy(np.bincount(train.items[train.positive], minlength=len(items))).float()
    return lambda readers: counts.expand(len(readers), -1)


def fit_random(train: Interactions, items: ItemTable, seed: int):
    generator = torch.Generator().manual_seed(seed)
    return lambda readers: torch.rand(len(readers), len(items), generator=generator)


def _items_by_reader(train: Interactions, mask: np.ndarray) -> list[np.ndarray]:
    """For every reader, the distinct items of their events selected by `mask`."""
    pairs = np.unique(np.stack([train.users[mask], train.items[mask]], 1), axis=0)
    cuts = np.searchsorted(pairs[:, 0], np.arange(train.n_users + 1))
    return [pairs[a:b, 1] for a, b in zip(cuts[:-1], cuts[1:])]


def fit_content_knn(train: Interactions, items: ItemTable, seed: int):
    embeddings = torch.from_numpy(items.embeddings)
    positives = _items_by_reader(train, train.positive)

    def score(readers):
        profiles = torch.stack([embeddings[positives[u]].mean(0) if len(positives[u]) else torch.zeros(embeddings.shape[1])
                                for u in readers])
        return torch.nn.functional.normalize(profiles, dim=1) @ embeddings.T
    return score


def _training_sets(train: Interactions, n_items: int, seed: int, negatives: int = 500):
    """Returns training_set(u) -> (index, labels) for reader u, or None if u lacks either class.

    Positives are u's positive items; negatives are u's dismissed items plus a seeded sample of
    `negatives` catalogue items that u has not read. The one place both per-reader models pick data.
    """
    positives = _items_by_reader(train, train.positive)
    rejected = _items_by_reader(train, train.events == EVENT_CODE["dismiss"])

    def training_set(u) -> tuple[np.ndarray, np.ndarray] | None:
        rng = np.random.default_rng([seed, int(u)])
        others = rng.choice(n_items, size=min(negatives, n_items), replace=False)
        neg = np.union1d(np.setdiff1d(others, positives[u]), rejected[u])
        if not len(positives[u]) or not len(neg):
            return None
        return np.r_[positives[u], neg], np.r_[np.ones(len(positives[u])), np.zeros(len(neg))]
    return training_set


def _per_reader_model(train: Interactions, items: ItemTable, features, make_model, seed: int):
    """Fits make_model() on each asked reader's training set; a zero row for readers without one."""
    training_set = _training_sets(train, len(items), seed)

    def score(readers):
        rows = []
        for u in readers:
            picked = training_set(u)
            if picked is None:
                rows.append(np.zeros(len(items)))
                continue
            index, labels = picked
            rows.append(make_model().fit(features[index], labels).decision_function(features))
        return torch.from_numpy(np.stack(rows)).float()
    return score


def fit_user_logreg(train: Interactions, items: ItemTable, seed: int, cells: int = 1 << 22):
    """LogisticRegression(C=1, class_weight="balanced") per reader, to the same optimum, in batches.

    Readers are fitted together in chunks of at most `cells` // N readers, over the items in the
    chunk's training sets, so memory stays bounded for large catalogues.
    """
    embeddings = torch.from_numpy(items.embeddings).double()                        # [N, D]
    training_set = _training_sets(train, len(items), seed)
    chunk_size = max(1, cells // len(items))

    def score(readers):
        out = torch.zeros(len(readers), len(items))                                 # no training set: 0
        picked = {j: training_set(u) for j, u in enumerate(readers)}
        fitted = [j for j in picked if picked[j] is not None]
        for start in range(0, len(fitted), chunk_size):
            chunk = fitted[start:start + chunk_size]
            used = np.unique(np.concatenate([picked[j][0] for j in chunk]))         # [M] catalogue items
            positive = torch.zeros(len(chunk), len(used), dtype=torch.float64)      # [R, M]
            negative = torch.zeros(len(chunk), len(used), dtype=torch.float64)      # [R, M]
            for k, j in enumerate(chunk):
                index, labels = picked[j]
                column = np.searchsorted(used, index)
                n, n_pos = len(labels), labels.sum()
                # class_weight="balanced": n / (2 n_class), so both classes weigh the same in total
                positive[k, column[labels == 1]] = n / (2 * n_pos)
                negative[k, column[labels == 0]] = n / (2 * (n - n_pos))
            theta = logistic_regressions(embeddings[torch.from_numpy(used)], positive, negative)   # [R, D + 1]
            out[chunk] = (theta[:, :-1] @ embeddings.T + theta[:, -1:]).float()     # [R, N]
        return out
    return score


def fit_tfidf_svm(train: Interactions, items: ItemTable, seed: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    tfidf = TfidfVectorizer(max_features=20000, ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
    features = tfidf.fit_transform(items.texts)
    return _per_reader_model(train, items, features, lambda: LinearSVC(C=0.1, class_weight="balanced"), seed)


def needs(method: str) -> str | None:
    """What an item table must hold for a baseline: 'embeddings', 'texts' or nothing."""
    return {"content_knn": "embeddings", "user_logreg": "embeddings", "tfidf_svm": "texts"}.get(method)


FIT = {"popularity": fit_popularity, "random": fit_random, "content_knn": fit_content_knn,
       "user_logreg": fit_user_logreg, "tfidf_svm": fit_tfidf_svm}
