"""item_knn and EASE against hand-checked and brute-force computations on small data."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from recsys import baselines
from recsys.baselines import (
    EASE_LAMBDAS,
    ease_lambda,
    ease_weights,
    fit_ease,
    fit_item_knn,
    reader_matrix,
    reusing_inverses,
)
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


def direct_weights(x: sp.csr_matrix, lam: float, columns: np.ndarray) -> np.ndarray:
    p = np.linalg.inv((x[:, columns].T @ x[:, columns]).toarray().astype(np.float64) + lam * np.eye(len(columns)))
    return np.eye(len(columns)) - p / np.diag(p)[None, :]


@pytest.fixture
def counted_inverses(monkeypatch):
    """Every EASE size is remembered (not only past 4,000 items); returns the direct inverses' count."""
    monkeypatch.setattr(baselines, "EASE_REMEMBERED_ITEMS", 0)
    calls, inverse = [], baselines.ease_inverse
    monkeypatch.setattr(baselines, "ease_inverse", lambda *args, **kw: calls.append(1) or inverse(*args, **kw))
    return calls


def test_a_reused_inverse_is_updated_to_other_readers_as_a_direct_one_would_be(counted_inverses):
    # the ease baseline on every reader, then a start without some (validation) readers, on the
    # columns they read in their own order, then again on every reader (the refit)
    x = random_library(n_readers=60, n_items=25, density=0.25, seed=4)
    x[:, 24] = 0  # nobody reads the last paper
    full = sp.csr_matrix(x.astype(np.float32))
    fewer = x.copy()
    fewer[[3, 17]] = 0  # two readers held out (3 rows changed: at most EASE_UPDATE_SHARE of 25)
    fewer[5, 20:24] = 1  # and one reads more
    fewer = sp.csr_matrix(fewer.astype(np.float32))
    read = np.flatnonzero(fewer.getnnz(axis=0))
    columns = read[np.argsort(-np.asarray(fewer.sum(0)).ravel()[read], kind="stable")]
    with reusing_inverses():
        first = ease_weights(full, 7.0)
        updated = ease_weights(fewer, 7.0, columns=columns)
        again = ease_weights(full, 7.0, columns=(everyone := np.flatnonzero(full.getnnz(axis=0))[::-1]))
        other_lambda = ease_weights(fewer, 8.0, columns=columns)
    assert len(counted_inverses) == 2  # the first and the other lambda; the rest were updates
    np.testing.assert_allclose(first, direct_weights(full, 7.0, np.arange(25)), atol=1e-6)
    np.testing.assert_allclose(updated, direct_weights(fewer, 7.0, columns), atol=1e-6)
    np.testing.assert_allclose(again, direct_weights(full, 7.0, everyone), atol=1e-6)
    np.testing.assert_allclose(other_lambda, direct_weights(fewer, 8.0, columns), atol=1e-6)


def test_an_inverse_is_remembered_only_inside_reusing_inverses_and_for_few_changed_readers(counted_inverses):
    x = random_library(n_readers=40, n_items=12, seed=5)
    full = sp.csr_matrix(x.astype(np.float32))
    ease_weights(full, 3.0)
    ease_weights(full, 3.0)  # outside: nothing remembered
    assert len(counted_inverses) == 2 and baselines._remembered is None
    many = x.copy()
    many[:5] = 0  # 5 readers' rows changed: past EASE_UPDATE_SHARE of 12 items
    with reusing_inverses():
        ease_weights(full, 3.0)
        np.testing.assert_array_equal(ease_weights(full, 3.0), ease_weights(full, 3.0))
        assert len(counted_inverses) == 3  # the same readers again: P0 itself
        np.testing.assert_allclose(
            ease_weights(sp.csr_matrix(many.astype(np.float32)), 3.0),
            direct_weights(sp.csr_matrix(many), 3.0, np.arange(12)),
            atol=1e-6,
        )
        assert len(counted_inverses) == 4
    assert baselines._remembered is None


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
