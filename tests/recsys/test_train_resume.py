"""train(resume_from=...): a run stopped after any epoch goes on from its saved state, exactly."""

import dataclasses

import torch

from recsys.data import ItemTable
from recsys.model import ModelConfig
from recsys.train import TrainConfig, train
from tests.recsys.test_data_model import toy_interactions


def test_a_run_resumed_from_its_saved_state_trains_as_if_it_never_stopped(tmp_path):
    inter, items = toy_interactions(n_users=40, per_user=10, n_items=25), ItemTable([f"p{i}" for i in range(25)])
    config = TrainConfig(
        model=ModelConfig(dim=8, hidden=16, max_len=6),
        loss="corrected_logq",
        batch_size=8,
        in_batch_negatives=8,
        epochs=4,
        patience=10,
        val_fraction=0.2,
        lr=1e-2,
        device="cpu",
        progress=False,
    )
    whole, trained = train(items, inter, config)
    state = tmp_path / "run.pt"
    halfway, _ = train(items, inter, dataclasses.replace(config, epochs=2), resume_from=state)
    assert [h["epoch"] for h in torch.load(state, weights_only=False)["history"]] == [1, 2]
    seen = []
    resumed, again = train(items, inter, config, resume_from=state, on_epoch=seen.append)
    assert [h["epoch"] for h in seen] == [3, 4]  # only the epochs left were trained
    assert [h["val_hit@20"] for h in again["history"]] == [h["val_hit@20"] for h in trained["history"]]
    assert again["best_epoch"] == trained["best_epoch"]
    final = torch.load(state, weights_only=False)["model"]
    assert any(not torch.equal(final[k], v) for k, v in halfway.state_dict().items() if k in final)
    assert all(torch.equal(whole.state_dict()[k], v) for k, v in resumed.state_dict().items())
    done, _ = train(items, inter, config, resume_from=state, on_epoch=seen.append)  # a finished run
    assert len(seen) == 2 and all(torch.equal(resumed.state_dict()[k], v) for k, v in done.state_dict().items())
