import numpy as np
import torch

from recsys.checkpoint import load_checkpoint, save_checkpoint
from recsys.model import ModelConfig, TwoTower
from recsys.neighbors import Neighbors

# an item-item matrix over catalogue rows 1, 2 and 4 of a 5-item catalogue
S = np.array([[0.0, 0.5, -0.2], [0.3, 0.0, 0.9], [0.1, 0.4, 0.0]], dtype=np.float32)
KEPT = np.array([1, 2, 4])


def test_top_k_keeps_each_rows_largest_positive_weights_on_catalogue_rows():
    neighbors = Neighbors.top_k(S, KEPT, n_items=5, k=2)
    # row 1's second largest weight is its own diagonal, 0: not positive, so padded
    assert set(zip(neighbors.rows[1].tolist(), neighbors.weights[1].tolist())) == {(2, 0.5), (-1, 0.0)}
    assert set(zip(neighbors.rows[2].tolist(), np.round(neighbors.weights[2].astype(float), 3).tolist())) == {
        (4, 0.9),
        (1, 0.3),
    }
    assert neighbors.rows[0].tolist() == [-1, -1] and neighbors.rows[3].tolist() == [-1, -1]


def test_scores_are_the_histories_mean_weight_to_each_candidate():
    neighbors = Neighbors.top_k(S, KEPT, n_items=5, k=2)
    # history: rows 2 and 4 and an unknown paper; candidates: 4, 1, unknown, 2
    scores = neighbors.scores(np.array([2, 4, -1]), np.array([4, 1, -1, 2]))
    np.testing.assert_allclose(scores, [0.9 / 3, (0.3 + 0.1) / 3, 0.0, 0.4 / 3], rtol=1e-6)
    assert neighbors.scores(np.array([-1]), np.array([1, 2])).tolist() == [0.0, 0.0]
    assert neighbors.scores(np.array([], dtype=int), np.array([1])).tolist() == [0.0]


def test_candidates_are_the_historys_distinct_neighbours():
    neighbors = Neighbors.top_k(S, KEPT, n_items=5, k=2)
    assert neighbors.candidates(np.array([2, 4, 4, -1])).tolist() == [1, 2, 4]


def test_neighbours_survive_a_checkpoint(tmp_path):
    neighbors = Neighbors.top_k(S, KEPT, n_items=5, k=2)
    model = TwoTower(ModelConfig(dim=8, text_dim=4, hidden=8))
    save_checkpoint(tmp_path / "m.pt", model, {"neighbors": neighbors.to_extra()})
    _, extra = load_checkpoint(tmp_path / "m.pt")
    loaded = Neighbors.from_extra(extra["neighbors"])
    assert np.array_equal(loaded.rows, neighbors.rows) and np.array_equal(loaded.weights, neighbors.weights)
    assert Neighbors.from_extra(None) is None
    assert torch.is_tensor(extra["neighbors"]["rows"])
