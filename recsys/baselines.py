"""Baselines a reader would otherwise get. Each `fit_*` returns a scorer: reader indices -> [b, N].

popularity   count of positive training events per item.
random       seeded uniform scores (a floor, not a method).
content_knn  cosine between an item and the mean embedding of the reader's positives.
user_logreg  per-reader logistic regression on text embeddings (Scholar Inbox's approach):
             positives vs. dismissed items and a seeded sample of other catalogue items; many
             readers solved at once in torch, to scikit-learn's LogisticRegression optimum.
tfidf_svm    per-reader linear SVM on TF-IDF of title + abstract (arxiv-sanity's approach),
             with the same positives and negatives.
item_knn     collaborative item-kNN: score(u, j) = sum over u's positives i of cos(i, j), the
             cosine of the items' reader columns (co-occurrence / sqrt(n_i n_j)), all neighbours.
ease         EASE (Steck, 2019): B = argmin ||X - XB||^2 + lambda ||B||^2 with diag(B) = 0, in
             closed form B = I - P / diag(P), P = (X^T X + lambda I)^-1; score(u) = x_u B.
             lambda is picked on a validation split of the training data (`ease_lambda`).
The per-reader models are fitted lazily, only for the readers asked about.
"""

import tempfile
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
import torch
from scipy.linalg import lapack

from recsys.data import EVENT_CODE, Interactions, ItemTable
from recsys.logistic import logistic_regressions, one_thread

BASELINES = ("popularity", "random", "content_knn", "user_logreg", "tfidf_svm", "item_knn", "ease")
SEEDLESS = ("popularity", "content_knn", "item_knn", "ease")  # the same scores for every seed: fitted once
# what each baseline runs with, for the report (fitted values such as EASE's lambda are added)
CONFIG = {
    "popularity": {"score": "positive training events"},
    "random": {},
    "content_knn": {"profile": "mean of the reader's positive embeddings", "similarity": "cosine"},
    "user_logreg": {"C": 1.0, "class_weight": "balanced", "random_negatives": 500, "features": "text embedding"},
    "tfidf_svm": {
        "C": 0.1,
        "class_weight": "balanced",
        "random_negatives": 500,
        "max_features": 20000,
        "ngram_range": [1, 2],
        "sublinear_tf": True,
    },
    "item_knn": {"similarity": "cosine over reader co-occurrence", "neighbours": "all"},
    "ease": {"lambda_grid": None},
}
EASE_LAMBDAS = (10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)  # the grid ease_lambda validates
EASE_VALIDATION_ITEMS = 4000  # ... on at most this many most-read items


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
        profiles = torch.stack(
            [
                embeddings[positives[u]].mean(0) if len(positives[u]) else torch.zeros(embeddings.shape[1])
                for u in readers
            ]
        )
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


def fit_user_logreg(train: Interactions, items: ItemTable, seed: int, cells: int = 1 << 17):
    """LogisticRegression(C=1, class_weight="balanced") per reader, to the same optimum, in batches.

    Readers are fitted together, in order of training-set size (little padding), in chunks of at
    most `cells` sample features [R, n, D], so memory stays bounded whatever the catalogue size.
    """
    embeddings = torch.from_numpy(items.embeddings).double()  # [N, D]
    training_set = _training_sets(train, len(items), seed)

    def score(readers):
        thetas = torch.zeros(len(readers), embeddings.shape[1] + 1, dtype=torch.float64)  # no training set: 0
        picked = {j: training_set(u) for j, u in enumerate(readers)}
        fitted = sorted((j for j in picked if picked[j] is not None), key=lambda j: len(picked[j][0]))
        size = lambda j: len(picked[j][0])  # noqa: E731
        start = 0
        while start < len(fitted):
            stop = start + 1  # grow the chunk while its padded features [R, n, D] fit in `cells`
            while stop < len(fitted) and (stop + 1 - start) * size(fitted[stop]) * embeddings.shape[1] <= cells:
                stop += 1
            chunk, start = fitted[start:stop], stop
            n = size(chunk[-1])  # the longest of the chunk
            index = torch.zeros(len(chunk), n, dtype=torch.long)  # [R, n] padding: item 0, weight 0
            positive = torch.zeros(len(chunk), n, dtype=torch.float64)  # [R, n]
            negative = torch.zeros(len(chunk), n, dtype=torch.float64)  # [R, n]
            for k, j in enumerate(chunk):
                items_of, labels = picked[j]
                labels = torch.from_numpy(labels)
                m, n_pos = len(labels), float(labels.sum())
                index[k, :m] = torch.from_numpy(items_of)
                # class_weight="balanced": n / (2 n_class), so both classes weigh the same in total
                positive[k, :m] = (labels == 1) * (m / (2 * n_pos))
                negative[k, :m] = (labels == 0) * (m / (2 * (m - n_pos)))
            with one_thread():
                thetas[chunk] = logistic_regressions(embeddings[index], positive, negative)  # [R, D + 1]
        # every reader at once: one matrix product, where a chunk's would re-read all N embeddings
        return (thetas[:, :-1] @ embeddings.T + thetas[:, -1:]).float()  # [b, N]

    return score


def fit_tfidf_svm(train: Interactions, items: ItemTable, seed: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    tfidf = TfidfVectorizer(max_features=20000, ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
    features = tfidf.fit_transform(items.texts)
    return _per_reader_model(train, items, features, lambda: LinearSVC(C=0.1, class_weight="balanced"), seed)


def reader_matrix(train: Interactions, n_items: int) -> sp.csr_matrix:
    """X [U, N]: 1 where the reader has a positive event on the item (repeats count once)."""
    users, items = train.users[train.positive], train.items[train.positive]
    x = sp.csr_matrix((np.ones(len(users), dtype=np.float32), (users, items)), shape=(train.n_users, n_items))
    x.sum_duplicates()
    x.data[:] = 1.0
    return x


def fit_item_knn(train: Interactions, items: ItemTable, seed: int):
    """x_u S with S_ij = c_ij / sqrt(c_i c_j), c the co-occurrence counts, all neighbours.

    S (N x N) is never formed: x_u S = ((x_u / sqrt c) X^T X) / sqrt c, two sparse products per
    chunk of readers. The diagonal term only touches the reader's own items, which are not ranked.
    """
    x = reader_matrix(train, len(items))  # [U, N]
    inv_sqrt = 1.0 / np.sqrt(np.maximum(np.asarray(x.sum(0)).ravel(), 1.0))  # [N]
    xt = x.T.tocsr()

    def score(readers):
        weighted = x[readers].multiply(inv_sqrt[None, :]).tocsr()  # [b, N]
        co = (weighted @ xt) @ x  # [b, N]
        return torch.from_numpy(np.asarray(co.todense(), dtype=np.float32) * inv_sqrt[None, :])

    return score


def ease_weights(x: sp.csr_matrix, lam: float, block: int = 2048, columns: np.ndarray | None = None) -> np.ndarray:
    """EASE's B [M, M] (float32): B = I - P diag(1 / diag P), P = (X^T X + lam I)^-1, so diag(B) = 0,
    over `columns` [M] of x (default: all, in order).

    P is `ease_inverse`'s, or, inside `reusing_inverses()`, an update of the last one it inverted
    where x differs from that one's in a few readers' rows (`_updated_inverse`).
    """
    columns = np.arange(x.shape[1]) if columns is None else np.asarray(columns)
    p = _updated_inverse(x, lam, columns) if _remembered else None
    if p is None:
        p = ease_inverse(x[:, columns].tocsr(), lam, block)
        outside = np.setdiff1d(np.flatnonzero(x.getnnz(axis=0)), columns)  # read, but not in B
        if _remembered == [] and len(columns) > EASE_REMEMBERED_ITEMS and not len(outside):
            spill = tempfile.TemporaryFile(prefix="ease-inverse-")  # on disk, not in memory, between fits
            np.save(spill, p)
            _remembered.append((x.copy(), lam, columns, spill))  # the first one
    p /= -np.diag(p)[None, :].copy()
    p[np.diag_indices_from(p)] = 0.0
    return p.astype(np.float32, copy=False)


def ease_inverse(x: sp.csr_matrix, lam: float, block: int = 2048) -> np.ndarray:
    """(X^T X + lam I)^-1 [N, N], C order, both triangles.

    X^T X + lam I is symmetric positive definite, so P comes from its Cholesky factor (LAPACK potrf
    then potri: N^3 flops, against ~2.7 N^3 for a general LU inverse), in place, in float32 past
    4,000 items (float64 below). potri writes one triangle; the other is copied over `block` rows
    at a time, so no second N x N array is ever allocated.
    """
    n = x.shape[1]
    gram = (x.T @ x).toarray().astype(np.float64 if n <= 4000 else np.float32, copy=False)
    gram[np.diag_indices_from(gram)] += lam
    potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (gram,))
    # gram.T is the same symmetric matrix in Fortran order: LAPACK works on it without a copy
    factor, info = potrf(gram.T, lower=False, overwrite_a=True, clean=False)
    if info:
        raise np.linalg.LinAlgError(f"EASE: X^T X + lambda I is not positive definite (potrf info {info})")
    p, info = potri(factor, lower=False, overwrite_c=True)  # [N, N], Fortran order; upper triangle valid
    if info:
        raise np.linalg.LinAlgError(f"EASE: X^T X + lambda I is singular (potri info {info})")
    for start in range(0, n, block):  # mirror: p[r, c] = p[c, r] for r > c
        stop = min(start + block, n)
        p[start:stop, :start] = p[:start, start:stop].T
        corner = p[start:stop, start:stop]
        corner[np.tril_indices(stop - start, -1)] = corner.T[np.tril_indices(stop - start, -1)]
    return np.ascontiguousarray(p.T)  # symmetric: the transpose is the same matrix, in C order (no copy)


EASE_REMEMBERED_ITEMS = 4000  # reusing_inverses() keeps inverses past this many items (the float32 ones)
EASE_UPDATE_SHARE = 0.25  # ... and updates one while at most this share of N readers' rows changed (4 N^2 r <= N^3)
_remembered: list | None = None  # inside reusing_inverses(): [(X, lam, columns, file of P)] of its first direct inverse


@contextmanager
def reusing_inverses():
    """Inside it, `ease_weights` keeps the first (X^T X + lam I)^-1 it inverts directly past
    EASE_REMEMBERED_ITEMS items (an N x N float32 array, 1.2 GB at 17,000 items: in a temporary file,
    so it adds to no peak between fits) and makes another X's, over the same items with the same lam
    and a few readers' rows apart, by a low-rank update of it. A report fits EASE many times on nearly
    the same readers: the ease baseline on every training reader, the app's start for every seed
    without its validation readers' held-out papers, and again on every reader (the refit); each
    direct inverse is N^3 (~40 s at 17,000 items on 2 cores), an update ~4 N^2 r for r changed rows,
    and none at all for the same readers."""
    global _remembered
    outer, _remembered = _remembered, []
    try:
        yield
    finally:
        for *_, spill in _remembered:
            spill.close()
        _remembered = outer


def _updated_inverse(x: sp.csr_matrix, lam: float, columns: np.ndarray) -> np.ndarray | None:
    """(X^T X + lam I)^-1 over `columns` from the remembered P0 = (X0^T X0 + lam I)^-1 (Woodbury), or
    None where x differs from X0 in shape, lam, or more than EASE_UPDATE_SHARE M rows. P0 covers X0's
    remembered columns; over the whole catalogue it is 1 / lam on the diagonal of the others (empty
    in X0). With V the changed rows, old then new, and C = diag(-1 for old, +1 for new),
    X^T X = X0^T X0 + V^T C V, so

        P = P0 - (V P0)^T (C + V P0 V^T)^-1 (V P0),

    then cut to `columns` (which must hold every paper X reads): an r x r solve (in float64) and
    one M x r x M product (in P0's precision), block by block. Always from a direct inverse, never
    an update of an update, so rounding does not build up."""
    x0, lam0, columns0, spill = _remembered[0]
    if x.shape != x0.shape or lam != lam0:
        return None
    changed = np.unique((x - x0).nonzero()[0])
    if len(changed) > EASE_UPDATE_SHARE * len(columns) or np.setdiff1d(np.flatnonzero(x.getnnz(axis=0)), columns).size:
        return None
    at = np.full(x.shape[1], -1)
    at[columns0] = np.arange(len(columns0))  # each catalogue column's row in P0 (-1: 1 / lam there)
    rows, known = at[columns], at[columns] >= 0
    spill.seek(0)
    p0 = np.load(spill)
    if not len(changed) and known.all():
        return p0[np.ix_(rows, rows)]  # the same readers: P0 itself, in `columns`' order
    v = sp.vstack([x0[changed], x[changed]]).tocsr()  # [2c, N]
    signs = np.r_[-np.ones(len(changed)), np.ones(len(changed))]
    held = v.getnnz(axis=1) > 0  # an empty row (a reader only one side has) changes nothing
    v, signs = v[held].astype(p0.dtype), signs[held]
    vp = v.toarray() / np.float32(lam)  # [r, N]: V P0 over the whole catalogue
    vp[:, columns0] = v[:, columns0] @ p0
    inner = np.diag(signs) + v.astype(np.float64) @ vp.T.astype(np.float64)  # [r, r]: C^-1 = C
    solved = np.linalg.solve((inner + inner.T) / 2, vp[:, columns].astype(np.float64)).astype(p0.dtype)  # [r, M]
    p = np.zeros((len(columns), len(columns)), dtype=p0.dtype)
    for start in range(0, len(columns), 2048):
        part = slice(start, start + 2048)
        block = p[part]  # [b, M], a view
        inside = known[part]
        block[np.ix_(inside, known)] = p0[np.ix_(rows[part][inside], rows[known])]
        new = np.flatnonzero(~inside) + start  # papers X0 held none of: 1 / lam on the diagonal
        p[new, new] = 1.0 / lam
        block -= vp[:, columns[part]].T @ solved
    return p


def ease_lambda(
    train: Interactions,
    n_items: int,
    seed: int = 0,
    grid=EASE_LAMBDAS,
    max_items: int = EASE_VALIDATION_ITEMS,
    max_readers: int = 3000,
) -> tuple[float, dict]:
    """Picks lambda by recall@20 on a seeded 20% of each (sampled) reader's training positives.

    On large catalogues the grid runs over the `max_items` most-read items only (an N^3 inverse per
    value would dominate the report); lambda is a count-scale regulariser, so it transfers.
    Returns the best lambda and the validation recall@20 of every grid value.
    """
    from recsys.metrics import ranking_metrics
    from recsys.splits import split

    held = split(train, "random", test_fraction=0.2, seed=seed)
    readers = held.readers
    if len(readers) > max_readers:
        readers = np.sort(np.random.default_rng(seed).choice(readers, max_readers, replace=False))
    x = reader_matrix(held.train, n_items)
    kept = np.argsort(-np.asarray(x.sum(0)).ravel(), kind="stable")[:max_items]  # [M] most read
    column = np.full(n_items, -1)
    column[kept] = np.arange(len(kept))
    x = x[:, kept].tocsr()
    position = {u: j for j, u in enumerate(held.readers)}
    relevant = [column[held.relevant[position[u]]] for u in readers]
    seen = [column[held.seen[position[u]]] for u in readers]
    relevant = [r[r >= 0] for r in relevant]
    seen = [s[s >= 0] for s in seen]
    scores = {}
    for lam in grid:
        b = ease_weights(x, lam)
        scorer = lambda rows: torch.from_numpy(x[rows] @ b)  # noqa: E731, B023 (used in this iteration)
        scores[lam] = ranking_metrics(scorer, readers, relevant, seen, len(kept), ks=(20,))["recall@20"]
    return max(scores, key=scores.get), scores


def fit_ease(train: Interactions, items: ItemTable, seed: int, lam: float | None = None):
    """EASE with lambda validated on the training data (`ease_lambda`) unless given."""
    validation = None
    if lam is None:
        lam, validation = ease_lambda(train, len(items))
        validation = {str(k): round(v, 4) for k, v in validation.items()}  # validation recall@20 by lambda
    x = reader_matrix(train, len(items))
    b = ease_weights(x, lam)
    # a reader's row is sparse (a library of tens of papers): x_u B costs nnz(x_u) N, not N^2
    score = lambda readers: torch.from_numpy(x[readers] @ b)  # noqa: E731
    score.config = {"lambda": lam, "lambda_grid": validation} if validation else {"lambda": lam}
    return score


def needs(method: str) -> str | None:
    """What an item table must hold for a baseline: 'embeddings', 'texts' or nothing."""
    return {"content_knn": "embeddings", "user_logreg": "embeddings", "tfidf_svm": "texts"}.get(method)


FIT = {
    "popularity": fit_popularity,
    "random": fit_random,
    "content_knn": fit_content_knn,
    "user_logreg": fit_user_logreg,
    "tfidf_svm": fit_tfidf_svm,
    "item_knn": fit_item_knn,
    "ease": fit_ease,
}
