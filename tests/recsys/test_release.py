"""Catalogue-wide negatives kept to the items already out at each prediction's time."""

import pytest
import torch

from recsys.data import Interactions, ItemTable, read_items_jsonl, training_sequences
from recsys.model import ItemFeatures, ModelConfig, TwoTower
from recsys.objective import sequence_loss
from recsys.sampling import ExactFrequency, Release, mixed_proposal

N, T = 12, 5


def setup(seed=0):
    """A model without dropout, a catalogue whose items 8-11 come out at t = 1000, and a batch of
    sequences over items 0-7 read at t < 1000."""
    torch.manual_seed(seed)
    model = TwoTower(ModelConfig(text_dim=6, dim=4, hidden=8, max_len=T, dropout=0.0))
    catalogue = ItemFeatures(torch.arange(N), torch.randn(N, 6, requires_grad=True))
    batch = {
        "items": torch.randint(8, (4, T + 1)),
        "events": torch.full((4, T + 1), 2),
        "gaps": torch.ones(4, T + 1, dtype=torch.long),
        "times": torch.arange(4 * (T + 1)).view(4, T + 1) * 10,
    }
    release = Release(torch.tensor([0] * 8 + [1000] * 4))
    frequency = ExactFrequency(torch.bincount(batch["items"][:, 1:].flatten(), minlength=N) + 1)
    return model, catalogue, batch, release, frequency


def test_full_softmax_leaves_items_not_yet_out_alone():
    model, catalogue, batch, release, frequency = setup()
    sequence_loss(model, batch, catalogue, "full_softmax", frequency, release=release).backward()
    assert (catalogue.text.grad[8:] == 0).all() and (catalogue.text.grad[:8] != 0).any()
    catalogue.text.grad = None
    sequence_loss(model, batch, catalogue, "full_softmax", frequency).backward()
    assert (catalogue.text.grad[8:] != 0).any()  # without release times they are pushed down


def test_uniform_draws_not_yet_out_leave_the_loss():
    model, catalogue, batch, _, frequency = setup()
    in_batch_only = sequence_loss(model, batch, catalogue, "corrected_logq", frequency)
    nothing_out = Release(torch.full((N,), 10**9))
    mixed = sequence_loss(
        model, batch, catalogue, "corrected_logq", frequency, uniform_negatives=64, release=nothing_out
    )
    assert mixed.item() == pytest.approx(in_batch_only.item(), rel=1e-5)
    all_out = Release(torch.zeros(N, dtype=torch.long))
    with_draws = sequence_loss(
        model, batch, catalogue, "corrected_logq", frequency, uniform_negatives=64, release=all_out
    )
    assert with_draws.item() != pytest.approx(in_batch_only.item(), rel=1e-3)


def test_uniform_part_of_the_proposal_counts_only_items_out_at_the_row_time():
    # two rows, each with one valid batch draw (q = 0.2, q(p) = 0.5) and one valid uniform draw;
    # 4 items out at row 0's time, 9 at row 1's: Q(n | n != p) = (0.2 / 0.5 + 1 / (N_t - 1)) / 2
    q_pos, q_cand = torch.tensor([0.5, 0.5], dtype=torch.float64), torch.tensor([0.2, 0.2], dtype=torch.float64)
    from_batch, valid = torch.tensor([True, False]), torch.ones(2, 2, dtype=torch.bool)
    p = mixed_proposal(q_pos, q_cand, from_batch, valid, torch.tensor([4, 9]))
    assert p.log_q_cond[0, 0].exp().item() == pytest.approx((0.4 + 1 / 3) / 2)
    assert p.log_q_cond[1, 0].exp().item() == pytest.approx((0.4 + 1 / 8) / 2)
    assert p.log_q_neg[0, 1].exp().item() == pytest.approx((0.2 + 1 / 4) / 2)  # Yi et al.: unconditional, 1/N_t


def test_release_counts_and_sequences_carry_event_times(tmp_path):
    release = Release(torch.tensor([30, 10, 20, 20]))
    assert release.count(torch.tensor([5, 10, 20, 99])).tolist() == [0, 1, 3, 4]
    assert release.out_by(torch.tensor([0, 1]), torch.tensor([15, 30])).tolist() == [[False, True], [True, True]]
    items = ItemTable(["a", "b"])
    inter = Interactions.from_rows([("u", "a", 100, "view"), ("u", "b", 250, "like")], items)
    assert training_sequences(inter, max_len=3)["times"][0, :2].tolist() == [100, 250]


def test_items_file_release_times_are_optional_and_parsed(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"item_id": "a", "released": 100}\n{"item_id": "b", "released": "1970-01-01T00:02:00"}\n')
    assert read_items_jsonl(path).released.tolist() == [100, 120]
    path.write_text('{"item_id": "a", "released": 100}\n{"item_id": "b"}\n')
    assert read_items_jsonl(path).released is None  # all or nothing
