"""item_knn and EASE against hand-checked and brute-force computations on small data."""

import numpy as np
import pytest
import torch

from recsys.baselines import EASE_LAMBDAS, ease_lambda, ease_weights, fit_ease, fit_item_knn, reader_matrix
from recsys.data import Interactions, ItemTable


def interactions_from(matrix: np.ndarray, extra=()) -> tuple[ItemTable, Interactions]:
    items = ItemTable([f"p{i}" for i in range(matrix.shape[1])])
    rows = [(f"u{u}", f"p{i}", t, "view") for t, (u, i) in enumerate(zip(*np.nonzero(matrix)))]
    return items, Interactions.from_rows(rows + list(extra), items)


def random_library(n_readers=30, n_items=12, density=0.3, seed=0) -> np.ndarray:
    x = (np.random.default_rng(seed).random((n_readers, n_items)) < density).astype(np.float64)
    x[:, 0] = 1  # every reader has an item, so reader indices match rows
    return x


def test_ease_on_a_hand_checked_case():
    # X^T X + I = 2I + J, whose inverse is (I - J / 5) / 2: diag 0.4, off-diagonal -0.1, so every
    # off-diagonal weight is 0.1 / 0.4 = 0.25
    _, train = interactions_from(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1]]))
    b = ease_weights(reader_matrix(train, 3), lam=1.0)
    np.testing.assert_allclose(b, 0.25 * (np.ones((3, 3)) - np.eye(3)), atol=1e-6)


def test_ease_matches_ridge_regression_of_each_item_on_the_others():
    x = random_library()
    items, train = interactions_from(x)
    lam = 3.0
    b = ease_weights(reader_matrix(train, x.shape[1]), lam)
    for j in range(x.shape[1]):
        others = np.delete(np.arange(x.shape[1]), j)
        a = x[:, others]
        expected = np.linalg.solve(a.T @ a + lam * np.eye(len(others)), a.T @ x[:, j])
        np.testing.assert_allclose(b[others, j], expected, rtol=1e-4, atol=1e-5)
        assert b[j, j] == 0
    scores = fit_ease(train, items, seed=0, lam=lam)(np.arange(5))
    torch.testing.assert_close(scores, torch.from_numpy((x[:5] @ b).astype(np.float32)), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("block", [1, 5, 2048])
def test_ease_weights_are_the_closed_form_whatever_the_mirroring_block(block):
    # the Cholesky inverse fills one triangle; the other is mirrored block by block
    x = random_library(n_items=13, density=0.4, seed=3)
    _, train = interactions_from(x)
    p = np.linalg.inv(x.T @ x + 7.0 * np.eye(x.shape[1]))
    expected = np.eye(x.shape[1]) - p / np.diag(p)[None, :]
    np.testing.assert_allclose(ease_weights(reader_matrix(train, x.shape[1]), 7.0, block=block), expected, atol=1e-6)


def test_ease_lambda_is_validated_on_the_grid_and_reported():
    items, train = interactions_from(random_library(n_readers=200, n_items=20, seed=1))
    lam, by_value = ease_lambda(train, len(items))
    assert set(by_value) == set(EASE_LAMBDAS) and by_value[lam] == max(by_value.values())
    config = fit_ease(train, items, seed=0).config
    assert config["lambda"] == lam and config["lambda_grid"] == {str(k): round(v, 4) for k, v in by_value.items()}


def test_item_knn_matches_brute_force_cosine():
    x = random_library()
    items, train = interactions_from(x, extra=[("u1", "p3", 999, "dismiss")])  # a dismissal is no positive
    counts = x.sum(0)
    similarity = (x.T @ x) / np.sqrt(np.outer(counts, counts)).clip(1)
    np.fill_diagonal(similarity, 0.0)
    scores = fit_item_knn(train, items, seed=0)(np.arange(len(x))).numpy()
    unseen = x == 0
    np.testing.assert_allclose(scores[unseen], (x @ similarity)[unseen], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fit", [fit_item_knn, lambda t, i, s: fit_ease(t, i, s, lam=10.0)])
def test_collaborative_baselines_recover_a_co_read_item(fit):
    # readers 0-9 read p0 and p1, readers 10-29 the more popular p2 and p3; reader 30 read p0 only:
    # p1 must come first for them, not the popular pair
    x = np.zeros((31, 6))
    x[:10, :2] = 1
    x[10:30, 2:4] = 1
    x[30, 0] = 1
    items, train = interactions_from(x)
    scores = fit(train, items, 0)(np.array([30])).numpy()[0]
    scores[0] = -np.inf
    assert scores.argmax() == 1
