"""Baselines a reader would otherwise get. Each `fit_*` returns a scorer: reader indices -> [b, N].

popularity   count of positive training events per item.
random       seeded uniform scores (a floor, not a method).
content_knn  cosine between an item and the mean embedding of the reader's positives.
user_logreg  per-reader logistic regression on text embeddings (Scholar Inbox's approach):
             positives vs. dismissed items and a seeded sample of other catalogue items.
tfidf_svm    per-reader linear SVM on TF-IDF of title + abstract (arxiv-sanity's approach),
             with the same positives and negatives.
The per-reader models are fitted lazily, only for the readers asked about.
"""
import numpy as np
import torch

from recsys.data import EVENT_CODE, ItemTable, Interactions

BASELINES = ("popularity", "random", "content_knn", "user_logreg", "tfidf_svm")


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


def _per_reader_model(train: Interactions, items: ItemTable, features, make_model, seed: int, negatives: int = 500):
    """Fits make_model() on features[positives] vs features[dismissed + sampled others] per reader."""
    positives = _items_by_reader(train, train.positive)
    rejected = _items_by_reader(train, train.events == EVENT_CODE["dismiss"])

    def score(readers):
        rows = []
        for u in readers:
            rng = np.random.default_rng([seed, int(u)])
            others = rng.choice(len(items), size=min(negatives, len(items)), replace=False)
            neg = np.union1d(np.setdiff1d(others, positives[u]), rejected[u])
            if not len(positives[u]) or not len(neg):
                rows.append(np.zeros(len(items)))
                continue
            index = np.r_[positives[u], neg]
            labels = np.r_[np.ones(len(positives[u])), np.zeros(len(neg))]
            rows.append(make_model().fit(features[index], labels).decision_function(features))
        return torch.from_numpy(np.stack(rows)).float()
    return score


def fit_user_logreg(train: Interactions, items: ItemTable, seed: int):
    from sklearn.linear_model import LogisticRegression

    return _per_reader_model(train, items, items.embeddings,
                             lambda: LogisticRegression(C=1.0, class_weight="balanced", max_iter=200), seed)


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
