"""What a training run is asked for (`TrainConfig`), and the catalogue as the model reads it."""

from dataclasses import dataclass, field

import torch

from recsys.data import ItemTable
from recsys.model import ItemFeatures, ModelConfig


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: str = "corrected_logq"  # one of objective.LOSSES
    objective: str = "next_item"  # "next_item": each prefix predicts the next positive; "library":
    # each sequence minus a random `held_out` share of its positives predicts them (order-free towers)
    held_out: float = 0.25
    id_init: str = "random"  # item-id rows start "random" (ModelConfig.id_init_std) or from "svd":
    # the top right singular vectors of the reader-item matrix (PureSVD), so that the mean of a
    # history's rows already ranks as x_u V V^T does, and co-reading is there from the first step;
    # or from "ease": a rank-dim factorisation P Q^T of EASE's item-item B, P the input rows and
    # Q the output rows (needs ModelConfig.input_ids), so the model starts ranking as EASE does
    ease_lambda: float | None = None  # EASE's lambda for id_init="ease" (None: validated on the
    # training data, recsys.baselines.ease_lambda)
    neighbors: int = 0  # > 0 (needs id_init="ease"): each item also keeps its this many strongest
    # weights of an item-item matrix (`neighbors_of`), and the score adds their mean over the history
    # (recsys.neighbors); how many of them count and at what weight is chosen on the validation
    # readers after training (neighbor_choice.NEIGHBOR_SHARES x NEIGHBOR_WEIGHTS, or none where none is better)
    neighbors_budget: int = 0  # > 0: at most this many neighbour entries in all, so each item keeps
    # min(neighbors, neighbors_budget // catalogue size) (`neighbor_count`): a small catalogue keeps
    # more of B, a large one's checkpoint and each reader's sparse sum stay bounded; 0: `neighbors`
    neighbors_signed: bool = False  # keep each item's strongest weights in magnitude, negative ones
    # too (the validation readers then also judge their positive part alone); False: positive only
    neighbors_of: str = "residual"  # "residual": EASE's B minus the rank-dim P Q^T the id rows start
    # from, what the width cannot hold; "ease": B itself
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
    val_fraction: float | None = None  # readers who validate (0: none; None: by task,
    # recsys.train.validation.READERS: 5% under "next_item", out of training; 20% under "library",
    # who stay in it with all but their held-out papers)
    val_max_readers: int | None = None  # at most this many (None: by task, 1,000 or 3,000)
    refit: bool = True  # where a fitted start is served (no epoch beat it), fit it again on every
    # reader, the validation readers too, with what they chose (train.start.refit_start)
    validation: str = "next_item"  # what the validation readers judge (each epoch, the start, the
    # neighbours): "next_item", their last window's next positives (hit@20), for sequence splits
    # (leave-one-out, temporal); "library", a seeded `val_held_out` share of each one's positives
    # held out as the harness's random split holds out a test reader's, ranked from the rest
    # (recall@20, exactly as the harness scores): for libraries whose order means nothing; the
    # readers keep their other papers in the fit, and an epoch must beat the start by a paired
    # margin (recsys.train.validation.clearly_better)
    val_held_out: float = 0.2  # for validation="library" (the harness passes its --test-fraction)
    seed: int = 0
    device: str = "auto"
    progress: bool = True

    def neighbor_count(self, n_items: int) -> int:
        """How many neighbours each item of an n_items catalogue keeps: `neighbors`, within
        `neighbors_budget` entries in all (n_items x the count, at least one each)."""
        if not self.neighbors or not self.neighbors_budget:
            return self.neighbors
        return max(1, min(self.neighbors, self.neighbors_budget // max(n_items, 1)))


def catalogue_features(items: ItemTable, device) -> ItemFeatures:
    text = None if items.embeddings is None else torch.as_tensor(items.embeddings, dtype=torch.float32)
    return ItemFeatures(torch.arange(len(items)), text).to(device)
