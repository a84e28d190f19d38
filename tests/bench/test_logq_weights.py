"""bench/logq_weights.py: each loss's estimate of P_p, recorded from the training objective itself."""

import numpy as np
import torch

from bench.logq_weights import estimates_of, recorder
from recsys.data import ItemTable, target_mask, training_sequences, trim_padding
from recsys.model import ModelConfig, TwoTower
from recsys.sampling import ExactFrequency
from recsys.train import catalogue_features
from tests.recsys.test_data_model import toy_interactions


def test_the_truth_is_the_positives_probability_over_the_whole_catalogue():
    sequences = training_sequences(toy_interactions(n_users=12, per_user=9, n_items=15), 6)
    torch.manual_seed(0)
    model = TwoTower(ModelConfig(dim=8, hidden=16, max_len=6, text_dim=0, id_buckets=15)).eval()
    catalogue = catalogue_features(ItemTable([f"p{i}" for i in range(15)]), "cpu")
    targets = sequences["items"][:, 1:]
    frequency = ExactFrequency(torch.bincount(targets[targets >= 0], minlength=15))
    found = estimates_of(model, sequences, catalogue, frequency, k=4, batches=2, seed=0)
    assert len({len(rows) for rows in found.values()}) == 1 and len(found["corrected logQ"]) > 8

    order = torch.randperm(len(sequences["items"]), generator=torch.Generator().manual_seed(0))
    batch = trim_padding({key: v[order[:4]] for key, v in sequences.items()})  # the first batch
    with torch.no_grad():
        queries, _, _ = model(batch["items"], batch["events"], batch["gaps"], catalogue)
        is_target = target_mask(batch["items"], batch["events"])
        scores = queries[is_target] @ model.item_vectors(catalogue).T
    truth = torch.softmax(scores, -1).gather(1, batch["items"][:, 1:][is_target][:, None])[:, 0]
    assert np.allclose(found["full softmax (truth)"][: len(truth)], truth.numpy(), atol=1e-6)


def test_one_minus_the_corrected_estimate_is_the_weight_the_loss_trains_with():
    estimates = {"corrected logQ": []}
    pos = torch.randn(5, requires_grad=True)
    neg, valid, log_q = torch.randn(5, 4), torch.rand(5, 4) > 0.3, torch.log(torch.rand(5, 4))
    valid[0] = False  # no valid negative: weight 0
    recorder(estimates)["corrected_logq_loss"](pos, neg, valid, log_q).backward()
    (p_hat,) = estimates["corrected logQ"]
    assert torch.allclose(-pos.grad * len(pos), 1 - p_hat.detach(), atol=1e-6)  # d(mean)/ds_p = -w / B
    assert p_hat[0] == 1.0
