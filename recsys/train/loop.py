"""The training loop: `train(items, interactions, config) -> (model, metrics)`.

Sequences live on the device as tensors and each step is one indexed slice of them; AdamW;
bf16 autocast on CUDA; early stopping on held-out readers (their next items, or papers held out of
their libraries: TrainConfig.validation), the fitted start a candidate like every epoch, which an
epoch replaces on libraries only by a clear paired margin (validation.clearly_better); seeded.
Under `torchrun` (WORLD_SIZE > 1) each rank takes every world-th sequence of the same shuffled
batch, the in-batch negatives are gathered from all ranks, and DDP averages gradients.
"""

import copy
import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from recsys.cold import choose as choose_new_papers
from recsys.data import Interactions, ItemTable, trim_padding
from recsys.encoder import resolve_device
from recsys.model import ItemFeatures, TwoTower
from recsys.objective import LOSSES, library_loss, sequence_loss
from recsys.sampling import CountMinFrequency, ExactFrequency, Release
from recsys.scoring import served_scorers
from recsys.train.config import TrainConfig, catalogue_features
from recsys.train.neighbor_choice import choose_neighbors
from recsys.train.resume import load_state, save_state
from recsys.train.start import refit_start, start_id_rows
from recsys.train.validation import clearly_better, held_out_recalls, hit_rate, hold_out


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


def configure_optimizer(model: TwoTower, config: TrainConfig) -> torch.optim.Optimizer:
    """Decay matrices and embeddings; leave biases, norms and the temperature alone. The item-id
    table of a hybrid tower (zero rows, moved only by its items' reads) gets `id_lr`, no decay."""
    hybrid = model.item_tower.text is not None
    ids = [table.weight for table in model.item_tower.id_tables()] if hybrid else []
    params = [p for p in model.parameters() if p.requires_grad and all(p is not t for t in ids)]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": config.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    if ids:
        groups.append({"params": ids, "weight_decay": 0.0, "lr": config.id_lr or config.lr})
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


def train(
    items: ItemTable,
    interactions: Interactions,
    config: TrainConfig,
    on_epoch: Callable[[dict], None] | None = None,
    resume_from: str | Path | None = None,
) -> tuple[TwoTower, dict]:
    """Train a two-tower model; returns it (best validation epoch, on its device) and metrics.
    on_epoch: called with each epoch's entry of the history as it ends (progress of long runs).
    resume_from: a file that keeps the training state after each epoch; where it exists, training
    goes on from it (same config and data), on a CPU exactly as if it had never stopped.
    metrics["history"]: the fitted start's validation score as epoch 0 (no loss), then each epoch's."""
    assert config.loss in LOSSES, config.loss
    assert config.objective in ("next_item", "library"), config.objective
    assert config.validation in ("next_item", "library"), config.validation
    assert config.id_init in ("random", "svd", "ease"), config.id_init
    assert config.id_init != "ease" or config.model.input_ids, "id_init='ease' needs ModelConfig.input_ids"
    assert not config.neighbors or config.id_init == "ease", "neighbours come from the EASE start: id_init='ease'"
    assert config.neighbors_of in ("residual", "ease"), config.neighbors_of
    rank, world, device = distributed_context(resolve_device(config.device))
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    # an id row per catalogue item when asked (hybrid), and always for id-only catalogues
    ids = config.model.item_ids or items.embeddings is None
    model_config = dataclasses.replace(
        config.model,
        text_dim=0 if items.embeddings is None else items.embeddings.shape[1],
        id_buckets=len(items) if ids else config.model.id_buckets,
        # a reader is read as the validation task reads them: a library whole, a sequence (whose
        # latest items say most, and whose next item validation then judges) by its latest
        # max_len events. On MovieLens-1M's leave-one-out the whole library cost the start
        # 0.1837 -> 0.1513 recall@20 (docs/benchmarks.md, eighth session)
        library=config.model.library and config.validation == "library",
    )
    model = TwoTower(model_config).to(device)
    fitted = {}
    catalogue = catalogue_features(items, device)
    release = Release(torch.as_tensor(items.released, device=device)) if items.released is not None else None
    # the validation readers and what they judge: their sequences' next items, or their held-out papers
    held_out = hold_out(interactions, config, model_config.max_len)
    keep = [k for k in held_out.train if k != "times" or release is not None]  # times: negatives already out
    train_seqs, val_seqs = ({k: seqs[k].to(device) for k in keep} for seqs in (held_out.train, held_out.windows))
    judged = val_seqs if config.validation == "next_item" else held_out.judged
    validating = len(judged["items"] if config.validation == "next_item" else judged.readers) > 0
    if config.id_init != "random" and model.item_tower.ids is not None:
        # not from the validation readers' held-out papers (nor, on next items, the readers): they judge the start too
        fitted = start_id_rows(model, config, held_out.fit, catalogue)
    found = fitted.pop("neighbors", None)
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
    started = time.perf_counter()
    # a fitted start (rows from EASE or the SVD) is a candidate too: it may rank the validation
    # readers better than training gets to; a random one is not (nor does it start the patience)
    fitted_start = config.id_init != "random" and model.item_tower.ids is not None

    every = [(found.k, 1.0, False), (found.k, 1.0, True)] if found is not None else []

    def validate() -> tuple[float, np.ndarray | None]:
        """(score, each validation reader's recall: library validation only) of what would be
        served: the model with or without every neighbour (or their positive part) at weight 1."""
        if not validating:
            return float("nan"), None
        if config.validation == "library":
            scorers = served_scorers(model, judged.train, catalogue)  # the model's part, once for both
            chosen = (
                choose_neighbors(model, judged, catalogue, found, every, scorers=scorers) if found is not None else None
            )
            recalls = held_out_recalls(model, judged, catalogue, chosen[0] if chosen else None, scorers=scorers)
            return float(recalls.mean()), recalls
        if found is None:
            return hit_rate(model, judged, catalogue), None
        return max(choose_neighbors(model, judged, catalogue, found, every)[1]["neighbors_val_hit@20"].values()), None

    start, best_recalls = validate() if fitted_start else (float("nan"), None)
    best = start if fitted_start else -1.0
    best_state, best_epoch, stale = copy.deepcopy(model.state_dict()), 0, 0
    history = [{"epoch": 0, "val_hit@20": start}] if fitted_start and validating else []  # the start's point
    resumed = load_state(resume_from, model, optimizer, generator, device) if resume_from is not None else None
    if resumed is not None:
        best, best_recalls, best_state, best_epoch, stale, history = resumed.values()
    for epoch in range(sum(h["epoch"] > 0 for h in history), config.epochs):
        if stale >= config.patience:
            break
        model.train()
        order = torch.randperm(n_seqs, device=device, generator=generator)
        bar = tqdm(
            range(steps_per_epoch),
            desc=f"{config.loss} epoch {epoch + 1}",
            disable=not config.progress or rank != 0,
            leave=False,
        )
        examples, tic, cpu_tic, losses = 0, time.perf_counter(), time.process_time(), []
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
        score, recalls = validate()
        history.append(
            {
                "epoch": epoch + 1,
                "loss": float(torch.stack(losses).mean()),
                "val_hit@20": score,
                "examples_per_s": examples / (time.perf_counter() - tic),
                "seconds": time.perf_counter() - tic,  # training and validation
                "cpu_seconds": time.process_time() - cpu_tic,
            }
        )
        if on_epoch is not None:
            on_epoch(history[-1])
        if recalls is not None and best_recalls is not None:  # the same readers: a paired margin
            better = clearly_better(recalls, best_recalls)
        else:
            better = np.isnan(score) or np.isnan(best) or score > best
        if better:
            best, best_recalls, best_epoch, stale = score, recalls, epoch + 1, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
        if resume_from is not None and rank == 0:
            kept = {"best": best, "best_recalls": best_recalls, "best_state": best_state, "best_epoch": best_epoch}
            save_state(resume_from, model, optimizer, generator, {**kept, "stale": stale, "history": history})
    model.load_state_dict(best_state)
    if model.item_tower.ids is not None and model.item_tower.text is not None:
        # hybrid: an item nobody read in training has an untrained id row; zero it, so the item
        # scores from its text alone, like a paper newer than the model
        read = torch.zeros(len(items), dtype=torch.bool, device=device)
        read[train_seqs["items"][train_seqs["items"] >= 0]] = True
        with torch.no_grad():
            for table in model.item_tower.id_tables():
                table.weight[: len(items)][~read] = 0.0
    model.eval()
    neighbors, chosen = None, {}
    if found is not None:
        # chosen on the validation readers (none: the training readers' latest windows, every
        # neighbour at weight 1, which the validation cannot check)
        choice = judged if validating else {k: v[-1000:] for k, v in train_seqs.items()}
        neighbors, chosen = choose_neighbors(model, choice, catalogue, found)
        if not validating:
            neighbors = found.strongest(found.k, chosen["neighbors_scale"])
            chosen.update(neighbors_k=found.k, neighbors_weight=1.0, neighbors_signed=found.signed)
    # how papers nobody read (and newer ones) are placed among the read ones: recsys/cold.py (on
    # the validation readers' last windows; under library validation their kept papers were trained on)
    new_papers, placed = choose_new_papers(model, val_seqs, catalogue, neighbors, config.seed)
    # (the validation readers' held-out papers, or the readers, are added back)
    refit = config.refit and fitted_start and best_epoch == 0 and len(held_out.fit) < len(interactions)
    if refit:  # every choice made: the start again, from every reader
        neighbors = refit_start(model, config, interactions, catalogue, fitted, chosen)
        model.eval()
    return model, {
        "neighbors": neighbors,  # recsys.neighbors.Neighbors, served beside the model; None: none
        "new_papers": new_papers,  # recsys.cold.NewPapers, served with them
        **placed,
        **chosen,
        "history": history,
        "best_epoch": best_epoch,  # 0: no epoch beat the start
        "validation": config.validation,  # what val_hit@20 is: next items' hit@20 or held-out papers' recall@20
        "start_val_hit@20": start,
        "refit": refit,  # the served start was fitted again on every reader
        "best_val_hit@20": best,
        **fitted,
        "seconds": time.perf_counter() - started,
        "device": device,
        "world_size": world,
    }
