"""user_logreg's batched solver against scikit-learn's LogisticRegression, reader by reader."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from recsys.baselines import _training_sets, fit_user_logreg
from recsys.data import Interactions, ItemTable


def catalogue_and_readers(n_items=40, dim=16, seed=0):
    """Random unit embeddings; reader 3 has only dismissals, reader 4 dismissed one item it also read."""
    rng = np.random.default_rng(seed)
    embeddings = rng.standard_normal((n_items, dim)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    items = ItemTable([f"p{i}" for i in range(n_items)], embeddings)
    rows = []
    for reader, (n_read, n_dismissed) in enumerate([(3, 2), (6, 0), (1, 5), (0, 4), (4, 3)]):
        picked = rng.choice(n_items, n_read + n_dismissed, replace=False)
        rows += [(f"u{reader}", f"p{i}", t, "view") for t, i in enumerate(picked[:n_read])]
        rows += [(f"u{reader}", f"p{i}", 100 + t, "dismiss") for t, i in enumerate(picked[n_read:])]
    rows.append(("u4", rows[-4][1], 200, "dismiss"))  # u4 dismisses its last read: a positive and a negative
    return items, Interactions.from_rows(rows, items)


def sklearn_scores(train, items, seed, reader):
    index, labels = _training_sets(train, len(items), seed)(reader)
    features = items.embeddings.astype(np.float64)
    model = LogisticRegression(C=1.0, class_weight="balanced", tol=1e-12, max_iter=10_000)
    return model.fit(features[index], labels).decision_function(features)


@pytest.mark.parametrize("dim", [16, 384])
def test_scores_match_sklearn(dim):
    items, train = catalogue_and_readers(dim=dim)
    readers = np.array([0, 1, 2, 4])
    scores = fit_user_logreg(train, items, seed=7)(readers)
    assert scores.shape == (4, len(items)) and scores.dtype == torch.float32
    for row, reader in zip(scores.numpy(), readers):
        expected = sklearn_scores(train, items, 7, reader)
        np.testing.assert_allclose(row, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_reader_with_both_labels_on_one_item_counts_it_twice():
    items, train = catalogue_and_readers()
    index, labels = _training_sets(train, len(items), 7)(4)
    both = np.intersect1d(index[labels == 1], index[labels == 0])
    assert len(both) == 1  # the fixture's read-then-dismissed item


def test_reader_without_positives_gets_zeros_and_chunks_do_not_matter():
    items, train = catalogue_and_readers()
    readers = np.array([3, 0, 3, 2, 1, 4])
    together = fit_user_logreg(train, items, seed=7)(readers)
    one_by_one = fit_user_logreg(train, items, seed=7, cells=len(items))(readers)  # chunks of one reader
    assert torch.equal(together[0], torch.zeros(len(items))) and torch.equal(together[2], torch.zeros(len(items)))
    torch.testing.assert_close(together, one_by_one, rtol=1e-5, atol=1e-5)


def test_the_solver_runs_on_one_thread_and_gives_the_threads_back():
    items, train = catalogue_and_readers()
    threads, seen = torch.get_num_threads(), []
    import recsys.baselines as baselines

    solve = baselines.logistic_regressions
    baselines.logistic_regressions = lambda *args: seen.append(torch.get_num_threads()) or solve(*args)
    try:
        fit_user_logreg(train, items, seed=7)(np.array([0, 1]))
    finally:
        baselines.logistic_regressions = solve
    assert seen and set(seen) == {1} and torch.get_num_threads() == threads
