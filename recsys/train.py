"""Training: `train(items, interactions, config) -> (model, metrics)`.

Sequences live on the device as tensors and each step is one indexed slice of them; AdamW;
bf16 autocast on CUDA; early stopping on the next-item hit rate of held-out readers; seeded.
Under `torchrun` (WORLD_SIZE > 1) each rank takes every world-th sequence of the same shuffled
batch, the in-batch negatives are gathered from all ranks, and DDP averages gradients.
"""

import copy
import dataclasses
import os
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from recsys.data import Interactions, ItemTable, target_mask, training_sequences, trim_padding
from recsys.encoder import resolve_device
from recsys.model import ItemFeatures, ModelConfig, TwoTower
from recsys.objective import LOSSES, library_loss, sequence_loss
from recsys.sampling import CountMinFrequency, ExactFrequency, Release


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: str = "corrected_logq"  # one of objective.LOSSES
    objective: str = "next_item"  # "next_item": each prefix predicts the next positive; "library":
    # each sequence minus a random `held_out` share of its positives predicts them (order-free towers)
    held_out: float = 0.25
    id_init: str = "random"  # item-id rows start "random" (ModelConfig.id_init_std) or from "svd":
    # the top right singular vectors of the reader-item matrix (PureSVD), so that the mean of a
    # history's rows already ranks as x_u V V^T does, and co-reading is there from the first step
    uniform_negatives: int = 0  # > 0: mixed negative sampling
    in_batch_negatives: int = 2048  # cap on batch targets used as negatives (0: all)
    frequency: str = "exact"  # "exact" counts or a streaming count-min "sketch"
    batch_size: int = 64  # sequences per step (all ranks together); on a CPU, more smaller
    # steps beat fewer larger ones: faster per example and per epoch
    lr: float = 1e-3
    weight_decay: float = 0.1
    id_lr: float | None = None  # the item-id table's learning rate (None: lr); never decayed, since
    # decay would pull rarely read papers' rows back to text alone
    epochs: int = 10
    patience: int = 2  # epochs without a better validation score before stopping
    val_fraction: float = 0.05  # readers held out for early stopping (0: none)
    seed: int = 0
    device: str = "auto"
    progress: bool = True


def catalogue_features(items: ItemTable, device) -> ItemFeatures:
    text = None if items.embeddings is None else torch.as_tensor(items.embeddings, dtype=torch.float32)
    return ItemFeatures(torch.arange(len(items)), text).to(device)


def svd_item_factors(interactions: Interactions, n_items: int, dim: int, seed: int = 0) -> np.ndarray:
    """[n_items, dim] float32: V S^(1/2) from the reader-item matrix's truncated SVD X ~ U S V^T,
    scaled so rows average unit length; rows of items nobody read are zero.

    With these as item vectors, the mean of a reader's rows scores every item by x_u V S V^T / |x_u|,
    a PureSVD-like ranking (Cremonesi et al., RecSys 2010): co-reading from the first step."""
    from scipy.sparse.linalg import svds

    from recsys.baselines import reader_matrix

    x = reader_matrix(interactions, n_items).astype(np.float64)
    k = min(dim, min(x.shape) - 1)
    factors = np.zeros((n_items, dim), dtype=np.float32)
    if k < 1 or not x.nnz:
        return factors
    _, sigma, vt = svds(x, k=k, random_state=seed)
    factors[:, :k] = vt.T * np.sqrt(sigma)  # weak directions weigh little, null ones (k > rank) nothing
    factors[np.asarray(x.sum(0)).ravel() == 0] = 0.0  # exactly, not to rounding: they score from text
    norms = np.linalg.norm(factors, axis=1)
    return factors / max(norms[norms > 0].mean(), 1e-12) if (norms > 0).any() else factors


def distributed_context(device: str) -> tuple[int, int, str]:
    """(rank, world size, device); joins the process group only when torchrun says WORLD_SIZE > 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, device
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    if device.startswith("cuda"):
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
        torch.cuda.set_device(device)
    return dist.get_rank(), world, device


def split_readers(sequences: dict, fraction: float, seed: int) -> tuple[dict, dict]:
    """Hold out a seeded `fraction` of readers (at most 1000); validate on their last window."""
    users = sequences["users"]
    n_users = int(users.max()) + 1 if len(users) else 0
    n_val = min(int(round(fraction * n_users)), 1000) if n_users > 1 else 0
    held = torch.zeros(n_users, dtype=torch.bool)
    held[torch.randperm(n_users, generator=torch.Generator().manual_seed(seed))[:n_val]] = True
    last = torch.ones(len(users), dtype=torch.bool)
    last[:-1] = users[1:] != users[:-1]
    val_rows, train_rows = held[users] & last, ~held[users]
    return ({k: v[train_rows] for k, v in sequences.items()}, {k: v[val_rows] for k, v in sequences.items()})


@torch.no_grad()
def hit_rate(model: TwoTower, val: dict, catalogue: ItemFeatures, k: int = 20) -> float:
    """Share of held-out next positive items ranked in the top k of the whole catalogue."""
    if not len(val["items"]):
        return float("nan")
    vectors = model.item_vectors(catalogue)
    with model._inference():
        queries, _, _ = model(val["items"], val["events"], val["gaps"], catalogue)
    is_target = target_mask(val["items"], val["events"])
    q, target = queries[is_target], val["items"][:, 1:][is_target]
    hits = 0
    for s in range(0, len(q), 4096):
        scores = q[s : s + 4096] @ vectors.T
        hits += int((scores > scores.gather(1, target[s : s + 4096, None])).sum(1).lt(k).sum())
    return hits / max(len(q), 1)


def configure_optimizer(model: TwoTower, config: TrainConfig) -> torch.optim.Optimizer:
    """Decay matrices and embeddings; leave biases, norms and the temperature alone. The item-id
    table of a hybrid tower (zero rows, moved only by its items' reads) gets `id_lr`, no decay."""
    ids = (
        model.item_tower.ids.weight if model.item_tower.ids is not None and model.item_tower.text is not None else None
    )
    params = [p for p in model.parameters() if p.requires_grad and p is not ids]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": config.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    if ids is not None:
        groups.append({"params": [ids], "weight_decay": 0.0, "lr": config.id_lr or config.lr})
    return torch.optim.AdamW(groups, lr=config.lr)


def bf16_autocast(device: str):
    """bf16 autocast on CUDA (scores then reach the losses in bf16 and are widened there); off on CPU."""
    return torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda"))


def train_step(
    step_model,
    optimizer,
    batch: dict,
    catalogue: ItemFeatures,
    config: TrainConfig,
    frequency,
    autocast,
    group=None,
    release: Release | None = None,
) -> torch.Tensor:
    """One optimisation step on a batch of sequences; returns the loss (detached, not synced).
    group: under DDP, the process group that shares in-batch negatives across ranks; release: when
    items came out, to keep catalogue-wide negatives to items out at each prediction's time."""
    with autocast:
        if config.objective == "library":
            loss = library_loss(
                step_model, batch, catalogue, config.loss, frequency, config.held_out, config.in_batch_negatives, group
            )
        else:
            loss = sequence_loss(
                step_model,
                batch,
                catalogue,
                config.loss,
                frequency,
                config.uniform_negatives,
                config.in_batch_negatives,
                group,
                release,
            )
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


def train(items: ItemTable, interactions: Interactions, config: TrainConfig) -> tuple[TwoTower, dict]:
    """Train a two-tower model; returns it (best validation epoch, on its device) and metrics."""
    assert config.loss in LOSSES, config.loss
    assert config.objective in ("next_item", "library"), config.objective
    assert config.id_init in ("random", "svd"), config.id_init
    rank, world, device = distributed_context(resolve_device(config.device))
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    # an id row per catalogue item when asked (hybrid), and always for id-only catalogues
    ids = config.model.item_ids or items.embeddings is None
    model_config = dataclasses.replace(
        config.model,
        text_dim=0 if items.embeddings is None else items.embeddings.shape[1],
        id_buckets=len(items) if ids else config.model.id_buckets,
    )
    model = TwoTower(model_config).to(device)
    if config.id_init == "svd" and model.item_tower.ids is not None:
        with torch.no_grad():
            model.item_tower.ids.weight[: len(items)] = torch.as_tensor(
                svd_item_factors(interactions, len(items), model_config.dim, config.seed), device=device
            )
    catalogue = catalogue_features(items, device)
    sequences = training_sequences(interactions, model_config.max_len)
    release = Release(torch.as_tensor(items.released, device=device)) if items.released is not None else None
    if release is None:
        del sequences["times"]  # read only to keep negatives to items already out
    train_seqs, val_seqs = split_readers(sequences, config.val_fraction, config.seed)
    train_seqs = {k: v.to(device) for k, v in train_seqs.items()}
    val_seqs = {k: v.to(device) for k, v in val_seqs.items()}
    targets = train_seqs["items"][:, 1:]
    frequency = (
        ExactFrequency(torch.bincount(targets[targets >= 0], minlength=len(items)))
        if config.frequency == "exact"
        else CountMinFrequency(device=device, seed=config.seed)
    )

    step_model = (
        DistributedDataParallel(model, device_ids=[device] if device.startswith("cuda") else None)
        if world > 1
        else model
    )
    # a group of its own for the negatives: its collectives run inside backward, and must not
    # interleave with DDP's gradient all-reduces on the default group
    negatives_group = dist.new_group() if world > 1 else None
    optimizer = configure_optimizer(model, config)
    autocast = bf16_autocast(device)
    generator = torch.Generator(device=device).manual_seed(config.seed)
    n_seqs = len(train_seqs["items"])
    steps_per_epoch = max(1, -(-n_seqs // config.batch_size))
    best, best_state, stale, history = -1.0, None, 0, []
    started = time.perf_counter()
    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(n_seqs, device=device, generator=generator)
        bar = tqdm(
            range(steps_per_epoch),
            desc=f"{config.loss} epoch {epoch + 1}",
            disable=not config.progress or rank != 0,
            leave=False,
        )
        examples, tic, losses = 0, time.perf_counter(), []
        for step in bar:
            rows = order[step * config.batch_size : (step + 1) * config.batch_size][rank::world]
            batch = trim_padding({k: v[rows] for k, v in train_seqs.items()})
            losses.append(
                train_step(
                    step_model, optimizer, batch, catalogue, config, frequency, autocast, negatives_group, release
                )
            )
            examples += int((batch["items"][:, 1:] >= 0).sum()) * world
            if step % 10 == 0:
                bar.set_postfix(
                    loss=f"{losses[-1].item():.3f}", ex_per_s=f"{examples / (time.perf_counter() - tic):.0f}"
                )
        score = hit_rate(model, val_seqs, catalogue)
        history.append(
            {
                "epoch": epoch + 1,
                "loss": float(torch.stack(losses).mean()),
                "val_hit@20": score,
                "examples_per_s": examples / (time.perf_counter() - tic),
            }
        )
        if np.isnan(score) or score > best:
            best, best_state, stale = score, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if stale >= config.patience:
                break
    model.load_state_dict(best_state)
    if model.item_tower.ids is not None and model.item_tower.text is not None:
        # hybrid: an item nobody read in training has an untrained id row; zero it, so the item
        # scores from its text alone, like a paper newer than the model
        read = torch.zeros(len(items), dtype=torch.bool, device=device)
        read[train_seqs["items"][train_seqs["items"] >= 0]] = True
        with torch.no_grad():
            model.item_tower.ids.weight[: len(items)][~read] = 0.0
    model.eval()
    best_epoch = max(history, key=lambda h: h["val_hit@20"] if not np.isnan(h["val_hit@20"]) else h["epoch"])["epoch"]
    return model, {
        "history": history,
        "best_epoch": best_epoch,
        "best_val_hit@20": best,
        "seconds": time.perf_counter() - started,
        "device": device,
        "world_size": world,
    }
