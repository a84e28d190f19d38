"""Run by test_distributed.py under torchrun: trains briefly, checks ranks end with equal weights."""

import numpy as np
import torch
import torch.distributed as dist

from recsys.data import Interactions, ItemTable
from recsys.model import ModelConfig
from recsys.train import TrainConfig, train

rng = np.random.default_rng(0)
embeddings = rng.normal(size=(50, 16)).astype(np.float32)
items = ItemTable([str(i) for i in range(50)], embeddings)
n = 2000
inter = Interactions(
    rng.integers(0, 40, n),
    rng.integers(0, 50, n),
    rng.integers(0, 10**6, n),
    np.full(n, 2),
    [str(u) for u in range(40)],
)
model, metrics = train(
    items,
    inter,
    TrainConfig(
        model=ModelConfig(dim=8, max_len=10), epochs=2, batch_size=16, uniform_negatives=8, progress=False, device="cpu"
    ),
)
assert metrics["world_size"] == dist.get_world_size() == 2
flat = torch.cat([p.detach().flatten() for p in model.parameters()])
gathered = [torch.zeros_like(flat) for _ in range(2)]
dist.all_gather(gathered, flat)
assert torch.equal(gathered[0], gathered[1]), "ranks diverged"
dist.destroy_process_group()
