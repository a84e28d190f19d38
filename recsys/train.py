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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from recsys.cold import choose as choose_new_papers
from recsys.data import POSITIVE_CODES, Interactions, ItemTable, target_mask, training_sequences, trim_padding
from recsys.encoder import resolve_device
from recsys.model import ItemFeatures, ModelConfig, TwoTower
from recsys.neighbors import Neighbors
from recsys.objective import LOSSES, library_loss, sequence_loss
from recsys.sampling import CountMinFrequency, ExactFrequency, Release
from recsys.user_tower import positive_weights


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
    # readers after training (NEIGHBOR_SHARES x NEIGHBOR_WEIGHTS, or none where none is better)
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


EASE_MAX_ITEMS = 20_000  # id_init="ease" factors the most-read this many items (an N^2 inverse)


NEIGHBOR_SHARES = (1 / 16, 1 / 4, 1)  # of TrainConfig.neighbors: the per-item counts validated
NEIGHBOR_WEIGHTS = (1.0,)  # ... and weights (1: S in the dense score's units, EASE's sum at the
# start; a grid of 0.25-2 until 2026-12-03, when the validation readers' next items chose 2 on full
# CiteULike-a, where the test readers got 0.3213 recall@20 against 0.3250 at 1: docs/benchmarks.md,
# fifth session)


@dataclass
class EaseStart:
    """EASE's B (Steck, 2019) as the two-tower's start: P Q^T, B truncated to rank dim, and the
    strongest weights of what the width leaves out (or of B), in the units of P Q^T."""

    p: np.ndarray  # [n_items, dim] float32: input rows (a history's)
    q: np.ndarray  # [n_items, dim] float32: output rows (a candidate's)
    lam: float
    neighbors: Neighbors | None = None


def ease_start(
    interactions: Interactions,
    n_items: int,
    dim: int,
    lam: float | None = None,
    seed: int = 0,
    neighbors: int = 0,
    neighbors_of: str = "residual",
    neighbors_signed: bool = False,
) -> EaseStart:
    """P Q^T is EASE's B truncated to rank dim, B ~ U S V^T, P = U S^(1/2) / a, Q = V S^(1/2) / c,
    with c making Q's rows and a P's average unit length (a global scale changes no reader's ranking).

    As input rows (the history's) and output rows (the candidates'), the mean of a reader's input
    rows scores item i by x_u P Q_i / |x_u|, EASE's ranking up to rank dim. B is asymmetric, which
    rows shared by both sides (the SVD start) cannot hold. Only the EASE_MAX_ITEMS most-read items
    are factored; the rest, and items nobody read, get zero rows. With `neighbors` > 0 each item
    also keeps its that many strongest weights of S = B / (a c) - P Q^T ("residual": the mean of a
    history's rows of P Q^T + S is x_u B / (a c |x_u|), EASE's ranking again) or of S = B / (a c)
    ("ease"), the strongest in magnitude where `neighbors_signed`. B is formed once, and the residual
    is written over it in place."""
    from recsys.baselines import ease_lambda, ease_weights, reader_matrix

    x = reader_matrix(interactions, n_items)
    counts = np.asarray(x.sum(0)).ravel()
    kept = np.argsort(-counts, kind="stable")[: min(EASE_MAX_ITEMS, int((counts > 0).sum()))]
    p, q = np.zeros((n_items, dim), dtype=np.float32), np.zeros((n_items, dim), dtype=np.float32)
    if lam is None:
        lam = ease_lambda(interactions, n_items, seed)[0] if len(kept) > 1 else 1.0
    k = min(dim, len(kept))
    if k < 1:
        return EaseStart(p, q, lam)
    b = ease_weights(x[:, kept].tocsr(), lam)  # [m, m]
    torch.manual_seed(seed)
    u, sigma, v = torch.svd_lowrank(torch.from_numpy(b), q=min(k + 16, len(kept)), niter=4)
    root = sigma[:k].sqrt()
    p_kept, q_kept = (u[:, :k] * root).numpy(), (v[:, :k] * root).numpy()
    p_scale = max(float(np.linalg.norm(p_kept, axis=1).mean()), 1e-12)
    q_scale = max(float(np.linalg.norm(q_kept, axis=1).mean()), 1e-12)
    p_kept, q_kept = p_kept / p_scale, q_kept / q_scale
    p[kept, :k], q[kept, :k] = p_kept, q_kept
    found = None
    if neighbors > 0:
        b *= np.float32(1.0 / (p_scale * q_scale))  # B in the units of P Q^T
        if neighbors_of == "residual":
            for start in range(0, len(kept), 1024):
                b[start : start + 1024] -= p_kept[start : start + 1024] @ q_kept.T
        found = Neighbors.top_k(b, kept, n_items, neighbors, signed=neighbors_signed)
    return EaseStart(p, q, lam, found)


def ease_item_factors(
    interactions: Interactions, n_items: int, dim: int, lam: float | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, float]:
    """(P, Q [n_items, dim] float32, lambda) of `ease_start`: EASE's B truncated to rank dim."""
    start = ease_start(interactions, n_items, dim, lam, seed)
    return start.p, start.q, start.lam


def fit_text_to_rows(model: TwoTower, catalogue: ItemFeatures, read: Tensor, rows: Tensor, alpha: float = 1e-2) -> None:
    """Sets the text path's last layer by ridge regression of the id rows `rows` [N, d] of the
    `read` items [N] (bool) on its hidden features, so that a paper nobody read scores from what its
    text predicts its row to be (a cold start from the rows, as in Gantner et al.'s attribute-to-
    factor mapping), not from zero. alpha: the penalty, relative to the features' mean eigenvalue."""
    text = model.item_tower.text
    hidden = text[1](text[0](catalogue.text[read]))  # [n, h]
    features = torch.cat([hidden, torch.ones(len(hidden), 1, device=hidden.device)], 1)  # with a bias
    gram = features.T @ features
    gram += alpha * gram.diagonal().mean() * torch.eye(len(gram), device=gram.device)
    solution = torch.linalg.solve(gram, features.T @ rows[read])  # [h + 1, d]
    # ridge shrinks: predictions scaled to the read rows' mean length, or an unread paper would
    # always lose to the read ones at its topic (the read rows hold the rest either way)
    scale = rows[read].norm(dim=1).mean() / (features @ solution).norm(dim=1).mean().clamp_min(1e-12)
    text[-1].weight.copy_(solution[:-1].T * scale)
    text[-1].bias.copy_(solution[-1] * scale)


@torch.no_grad()
def start_id_rows(model: TwoTower, config: TrainConfig, interactions: Interactions, catalogue: ItemFeatures) -> dict:
    """Starts the id rows from the SVD or EASE (TrainConfig.id_init) of `interactions`; returns
    what was fitted (EASE's lambda, and the neighbours of `ease_start` in the units of P Q^T). A hybrid's text path is then fitted to predict the (output)
    rows and each read item's rows hold the rest, so at step 0 a read item is exactly its rows and
    an unread one what its text predicts; the event codes start at zero (a constant offset of a
    history's mean would be as long as the mean itself)."""
    n, dim, tower = len(catalogue), model.config.dim, model.item_tower
    fitted = {}
    if config.id_init == "svd":
        factors = torch.as_tensor(svd_item_factors(interactions, n, dim, config.seed))
        start = dict.fromkeys(tower.id_tables(), factors)
    else:
        ease = ease_start(
            interactions,
            n,
            dim,
            config.ease_lambda,
            config.seed,
            config.neighbors,
            config.neighbors_of,
            config.neighbors_signed,
        )
        fitted["ease_lambda"], fitted["neighbors"] = ease.lam, ease.neighbors
        start = {tower.input_ids: torch.as_tensor(ease.p), tower.ids: torch.as_tensor(ease.q)}
    device = tower.ids.weight.device
    start = {table: rows.to(device) for table, rows in start.items()}
    if tower.text is not None:
        positive = interactions.items[interactions.positive]
        read = torch.as_tensor(np.bincount(positive, minlength=n) > 0, device=device)
        fit_text_to_rows(model, catalogue, read, start[tower.ids])
        predicted = tower.text(catalogue.text[read])
        for rows in start.values():
            rows[read] -= predicted  # (the SVD start shares one tensor between both tables: once)
            rows[~read] = 0.0
        nn.init.zeros_(model.user_tower.event.weight)
    for table, rows in start.items():
        table.weight[:n] = rows
    return fitted


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


def _prefix_libraries(items: np.ndarray, events: np.ndarray, is_target: np.ndarray, n_items: int) -> sp.csr_matrix:
    """H [q, n_items]: row r is the library, as the neighbours read it (recsys.neighbors.library_means),
    before the r-th target position (b, t) of `items` [B, L + 1]: 1 / m on each of the m distinct
    papers positively read among items[b, 0..t]."""
    b, t = np.nonzero(is_target)  # [q]: position t of sequence b predicts items[b, t + 1]
    window, kinds = items[b, :-1], events[b, :-1]  # [q, L]
    inside = (np.arange(window.shape[1])[None, :] <= t[:, None]) & (window >= 0) & np.isin(kinds, POSITIVE_CODES)
    row, column = np.nonzero(inside)
    held = sp.csr_matrix((np.ones(len(row), dtype=np.float32), (row, window[row, column])), shape=(len(b), n_items))
    held.sum_duplicates()
    held.data[:] = 1.0  # a paper read twice is in the library once
    return sp.diags(1.0 / np.maximum(held.getnnz(axis=1), 1).astype(np.float32)) @ held


def _grid_key(n: int, w: float, signed: bool) -> str:
    return f"{n}x{w:g}{' signed' if signed else ''}"


@torch.no_grad()
def choose_neighbors(
    model: TwoTower, val: dict, catalogue: ItemFeatures, found: Neighbors, grid: list | None = None, k: int = 20
) -> tuple[Neighbors | None, dict]:
    """The neighbours to serve beside `model`: `found` (strongest first, in the units of P Q^T), or
    its positive part alone where it has negative weights, cut to n of each item's and weighted by w
    times the model's scale, for the (n, w, signed) of `grid` (default: NEIGHBOR_SHARES of found.k x
    NEIGHBOR_WEIGHTS x both parts) that ranks the held-out readers' next items best (hit@k, as
    `hit_rate`; the neighbours read the distinct papers read before each), or None where the model
    alone does. The scale is the median of |query| / |mean of the history's input rows| over the
    held-out positions: 1 / temperature while the user tower is that mean (the EASE start with
    neither LayerNorm nor normalisation), where weight 1 with every neighbour adds up to EASE's own
    ranking. Returns the neighbours (their weights include the scale, so the served score is exactly
    user_vector . item_vector + neighbors.scores) and what was measured."""
    vectors = model.item_vectors(catalogue)
    with model._inference():
        queries, _, _ = model(val["items"], val["events"], val["gaps"], catalogue)
        history = val["items"][:, :-1]
        inputs = model.item_tower(catalogue[history.clamp_min(0).flatten()], inputs=True).view(*history.shape, -1)
    is_target = target_mask(val["items"], val["events"])
    counted = torch.ones_like(history, dtype=inputs.dtype)  # [B, L]: the rows the tower's mean counts
    if model.config.mean_of_positives:
        counted = positive_weights(val["events"][:, :-1]).to(inputs.dtype)
    means = (inputs * counted[..., None]).cumsum(1) / counted.cumsum(1).clamp_min(1)[..., None]
    q, target = queries[is_target].float(), val["items"][:, 1:][is_target]
    scale = float((q.norm(dim=1) / means[is_target].norm(dim=1).clamp_min(1e-12)).median())
    prefixes = _prefix_libraries(
        val["items"].cpu().numpy(), val["events"].cpu().numpy(), is_target.cpu().numpy(), len(catalogue)
    )
    parts = {False: found.positive(), True: found} if found.signed else {False: found}
    ks = sorted({max(1, round(found.k * share)) for share in NEIGHBOR_SHARES})
    grid = [cell for cell in grid if cell[2] in parts] if grid else None
    grid = grid or [(n, w, signed) for signed in parts for n in ks for w in NEIGHBOR_WEIGHTS]
    matrices = {(n, signed): parts[signed].strongest(n).matrix() for n, _, signed in grid}
    hits, alone = dict.fromkeys(grid, 0), 0
    for s in range(0, len(q), 1024):
        dense = (q[s : s + 1024] @ vectors.T).cpu()  # [c, N]
        rows = target[s : s + 1024].cpu()[:, None]
        alone += int((dense > dense.gather(1, rows)).sum(1).lt(k).sum())
        for (n, signed), matrix in matrices.items():
            sparse = torch.from_numpy((prefixes[s : s + 1024] @ matrix).toarray()) * scale  # [c, N]
            for w in (w for m, w, part in grid if (m, part) == (n, signed)):
                scores = dense + w * sparse
                hits[n, w, signed] += int((scores > scores.gather(1, rows)).sum(1).lt(k).sum())
    total = max(len(q), 1)
    measured = {
        "neighbors_scale": scale,
        "neighbors_val_hit@20": {"none": alone / total, **{_grid_key(*cell): h / total for cell, h in hits.items()}},
    }
    # ties: fewer neighbours, then the positive part
    (n, w, signed), best = max(hits.items(), key=lambda item: (item[1], -item[0][0], not item[0][2]))
    if best <= alone:
        return None, {**measured, "neighbors_k": 0, "neighbors_weight": 0.0, "neighbors_signed": False}
    chosen = {"neighbors_k": n, "neighbors_weight": w, "neighbors_signed": signed}
    return parts[signed].strongest(n, w * scale), {**measured, **chosen}


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
    goes on from it (same config and data), on a CPU exactly as if it had never stopped."""
    assert config.loss in LOSSES, config.loss
    assert config.objective in ("next_item", "library"), config.objective
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
    )
    model = TwoTower(model_config).to(device)
    fitted = {}
    catalogue = catalogue_features(items, device)
    sequences = training_sequences(interactions, model_config.max_len)
    release = Release(torch.as_tensor(items.released, device=device)) if items.released is not None else None
    if release is None:
        del sequences["times"]  # read only to keep negatives to items already out
    train_seqs, val_seqs = split_readers(sequences, config.val_fraction, config.seed)
    train_seqs = {k: v.to(device) for k, v in train_seqs.items()}
    val_seqs = {k: v.to(device) for k, v in val_seqs.items()}
    if config.id_init != "random" and model.item_tower.ids is not None:
        # from the training readers only: the validation readers judge the start too
        held = np.isin(interactions.users, val_seqs["users"].cpu().numpy())
        fitted = start_id_rows(model, config, interactions.subset(~held), catalogue)
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

    def validate() -> float:
        if found is None or not len(val_seqs["items"]):
            return hit_rate(model, val_seqs, catalogue)
        # what would be served: the model with or without every neighbour (or their positive part) at weight 1
        every = [(found.k, 1.0, False), (found.k, 1.0, True)]
        hits = choose_neighbors(model, val_seqs, catalogue, found, every)[1]["neighbors_val_hit@20"]
        return max(hits.values())

    start = validate() if fitted_start else float("nan")
    best = start if fitted_start else -1.0
    best_state, best_epoch, stale, history = copy.deepcopy(model.state_dict()), 0, 0, []
    if resume_from is not None and Path(resume_from).exists():
        saved = torch.load(resume_from, map_location=device, weights_only=False)  # our own file: RNG states
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        generator.set_state(saved["generator"].cpu())  # RNG states are CPU byte tensors on any device
        torch.set_rng_state(saved["torch_rng"].cpu())
        np.random.set_state(saved["numpy_rng"])
        best, best_state, best_epoch, stale, history = (
            saved[k] for k in ("best", "best_state", "best_epoch", "stale", "history")
        )
    for epoch in range(len(history), config.epochs):
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
        score = validate()
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
        if np.isnan(score) or np.isnan(best) or score > best:
            best, best_state, best_epoch, stale = score, copy.deepcopy(model.state_dict()), epoch + 1, 0
        else:
            stale += 1
        if resume_from is not None and rank == 0:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "best_state": best_state}
            state |= {"generator": generator.get_state(), "torch_rng": torch.get_rng_state()}
            state |= {"numpy_rng": np.random.get_state(), "best": best, "best_epoch": best_epoch, "stale": stale}
            Path(resume_from).parent.mkdir(parents=True, exist_ok=True)
            torch.save({**state, "history": history}, f"{resume_from}.tmp")
            os.replace(f"{resume_from}.tmp", resume_from)  # a kill mid-write leaves the last epoch's
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
        choice = val_seqs if len(val_seqs["items"]) else {k: v[-1000:] for k, v in train_seqs.items()}
        neighbors, chosen = choose_neighbors(model, choice, catalogue, found)
        if not len(val_seqs["items"]):
            neighbors = found.strongest(found.k, chosen["neighbors_scale"])
            chosen.update(neighbors_k=found.k, neighbors_weight=1.0, neighbors_signed=found.signed)
    # how papers nobody read (and newer ones) are placed among the read ones: recsys/cold.py
    new_papers, placed = choose_new_papers(model, val_seqs, catalogue, neighbors, config.seed)
    return model, {
        "neighbors": neighbors,  # recsys.neighbors.Neighbors, served beside the model; None: none
        "new_papers": new_papers,  # recsys.cold.NewPapers, served with them
        **placed,
        **chosen,
        "history": history,
        "best_epoch": best_epoch,  # 0: no epoch beat the start
        "start_val_hit@20": start,
        "best_val_hit@20": best,
        **fitted,
        "seconds": time.perf_counter() - started,
        "device": device,
        "world_size": world,
    }
