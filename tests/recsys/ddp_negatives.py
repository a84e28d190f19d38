"""Run by test_distributed.py under torchrun: two ranks with half a batch each, in-batch negatives
gathered across ranks, must train exactly as one process with the whole batch (loss and gradients)."""

import copy

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from recsys.model import ItemFeatures, ModelConfig, TwoTower
from recsys.objective import sequence_loss
from recsys.sampling import ExactFrequency

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(0)  # the same model and data on every rank
n_items, B, T = 30, 8, 6
catalogue = ItemFeatures(torch.arange(n_items), torch.randn(n_items, 16))
model = TwoTower(ModelConfig(text_dim=16, dim=8, hidden=16, max_len=T, dropout=0.0))
# every event a positive ("view"), no padding: each rank has the same number of targets, so the
# average of the ranks' mean losses is the whole batch's mean loss
batch = {
    "items": torch.randint(n_items, (B, T + 1)),
    "events": torch.full((B, T + 1), 2),
    "gaps": torch.randint(1, 5, (B, T + 1)),
}
frequency = ExactFrequency(torch.bincount(batch["items"][:, 1:].flatten(), minlength=n_items) + 1)
local = {k: v[rank::world] for k, v in batch.items()}


def gradients(m):
    return [p.grad.clone() for p in m.parameters()]


for loss in ("in_batch", "logq", "corrected_logq"):
    reference = copy.deepcopy(model)
    expected = sequence_loss(reference, batch, catalogue, loss, frequency)
    expected.backward()

    shared, alone = (DistributedDataParallel(copy.deepcopy(model)) for _ in range(2))
    got = sequence_loss(shared, local, catalogue, loss, frequency, group=dist.new_group())
    got.backward()
    mean = got.detach().clone()
    dist.all_reduce(mean)
    torch.testing.assert_close(mean / world, expected.detach(), msg=f"{loss}: loss")
    for want, have in zip(gradients(reference), gradients(shared.module)):
        torch.testing.assert_close(have, want, rtol=1e-4, atol=1e-6, msg=f"{loss}: gradient")

    # the control: negatives from this rank only are a different objective, and the check sees it
    sequence_loss(alone, local, catalogue, loss, frequency).backward()
    assert any(
        not torch.allclose(have, want, rtol=1e-4, atol=1e-6)
        for want, have in zip(gradients(reference), gradients(alone.module))
    ), f"{loss}: control"
dist.destroy_process_group()
