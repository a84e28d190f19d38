"""The validation readers: who they are, how well a model ranks their next items, and which of
the start's neighbours to serve beside it."""

import numpy as np
import scipy.sparse as sp
import torch

from recsys.data import POSITIVE_CODES, target_mask
from recsys.model import ItemFeatures, TwoTower
from recsys.neighbors import Neighbors
from recsys.user_tower import positive_weights

NEIGHBOR_SHARES = (1 / 16, 1 / 4, 1)  # of TrainConfig.neighbors: the per-item counts validated
NEIGHBOR_WEIGHTS = (1.0,)  # ... and weights (1: S in the dense score's units, EASE's sum at the
# start; a grid of 0.25-2 until 2026-12-03, when the validation readers' next items chose 2 on full
# CiteULike-a, where the test readers got 0.3213 recall@20 against 0.3250 at 1: docs/benchmarks.md,
# fifth session)


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
