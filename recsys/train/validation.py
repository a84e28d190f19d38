"""The validation readers: who they are, how well a model ranks what they hold out, and which of
the start's neighbours to serve beside it.

Two tasks (TrainConfig.validation), as the report's split holds out a test reader's papers:
- "next_item": each validation reader's last window, every next positive predicted from the events
  before it (hit@20, `hit_rate`): for sequences (leave-one-out, temporal). These readers (5%, at
  most 1,000) are out of training altogether;
- "library": a seeded share of each validation reader's positives held out exactly as the harness's
  random split holds out a test reader's, and ranked from the rest by the served score
  (recall@20 by recsys.metrics, the papers the reader has excluded: `held_out_recall`). On full
  CiteULike-a the next item chose epochs that ranked held-out library papers far below the EASE
  start (0.272 against 0.325 recall@20, docs/benchmarks.md): order-free libraries need this one.
  These readers stay in the fit (the start, the neighbours, training) with their other papers, as
  the report's test readers do (`hold_out`): the population judged is the one the report judges,
  and only the held-out papers are missing from the fit, so the sample can be large (a fifth of
  the readers, at most 3,000: a fifth of their papers is ~4% of the positives hidden until the
  refit, about what 5% of whole readers hid before, for four times the readers judged; 278 readers
  on full CiteULike-a could not tell 0.01 of recall@20 apart).
An epoch replaces the start (or the epoch served so far) on library validation only where it ranks
the same readers' held-out papers better by a clear margin (`clearly_better`).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from recsys.data import POSITIVE_CODES, Interactions, last_histories, target_mask, training_sequences
from recsys.metrics import KS, ranking_metrics
from recsys.model import ItemFeatures, TwoTower
from recsys.neighbors import Neighbors, library_histories
from recsys.scoring import Scorer, served_scorers
from recsys.splits import Split, split
from recsys.train.config import TrainConfig
from recsys.user_tower import positive_weights

NEIGHBOR_SHARES = (1 / 16, 1 / 4, 1)  # of TrainConfig.neighbors: the per-item counts validated
NEIGHBOR_WEIGHTS = (1.0,)  # ... and weights (1: S in the dense score's units, EASE's sum at the
# start; a grid of 0.25-2 until 2026-12-03, when the validation readers' next items chose 2 on full
# CiteULike-a, where the test readers got 0.3213 recall@20 against 0.3250 at 1: docs/benchmarks.md,
# fifth session)
READERS = {"next_item": (0.05, 1000), "library": (0.2, 3000)}  # validation readers by task: (share
# of all readers, cap), where TrainConfig.val_fraction / val_max_readers are None
MARGIN = 2.0  # standard errors of the paired differences an epoch must win by (`clearly_better`)


def validation_readers(n_users: int, fraction: float, seed: int, cap: int) -> torch.Tensor:
    """A seeded `fraction` of the readers 0..n_users-1 (at most `cap`; none of a single reader)."""
    n_val = min(int(round(fraction * n_users)), cap) if n_users > 1 else 0
    return torch.randperm(n_users, generator=torch.Generator().manual_seed(seed))[:n_val]


def reader_windows(sequences: dict, readers) -> tuple[dict, dict]:
    """(every other reader's windows, the last window of each of `readers`)."""
    users, readers = sequences["users"], torch.as_tensor(readers, dtype=torch.long)
    held = torch.zeros(int(torch.cat([users, readers, torch.zeros(1, dtype=torch.long)]).max()) + 1, dtype=torch.bool)
    held[readers] = True
    last = torch.ones(len(users), dtype=torch.bool)
    last[:-1] = users[1:] != users[:-1]
    val_rows, train_rows = held[users] & last, ~held[users]
    return ({k: v[train_rows] for k, v in sequences.items()}, {k: v[val_rows] for k, v in sequences.items()})


def split_readers(sequences: dict, fraction: float, seed: int, cap: int = 1000) -> tuple[dict, dict]:
    """Hold out a seeded `fraction` of readers (at most `cap`); validate on their last window."""
    users = sequences["users"]
    n_users = int(users.max()) + 1 if len(users) else 0
    return reader_windows(sequences, validation_readers(n_users, fraction, seed, cap))


def held_out_libraries(interactions: Interactions, readers: np.ndarray, fraction: float, seed: int) -> Split:
    """The libraries of `readers` with a seeded `fraction` of each one's positives held out, as
    recsys.splits' random split holds out a test reader's (`train` holds only these readers)."""
    return split(interactions.subset(np.isin(interactions.users, readers)), "random", fraction, seed)


@dataclass
class HeldOut:
    """What train() fits on and what its validation readers judge (`hold_out`)."""

    fit: Interactions  # what the start, the neighbours and the training windows are made from
    train: dict  # the training windows (recsys.data.training_sequences of `fit`)
    windows: dict  # the validation readers' last windows, all their events (the new papers' choice)
    judged: dict | Split  # what validation scores: `windows` ("next_item") or their held-out papers


def hold_out(interactions: Interactions, config: TrainConfig, max_len: int) -> HeldOut:
    """The validation readers (TrainConfig.val_fraction of the readers, at most val_max_readers;
    READERS by task where None) and what they hold out. "next_item": the readers whole, out of the
    fit. "library": only the `val_held_out` papers of each (`held_out_libraries`); the rest of their
    library is in the fit, as a test reader's is in the report's."""
    fraction, cap = READERS[config.validation]
    fraction = fraction if config.val_fraction is None else config.val_fraction
    cap = cap if config.val_max_readers is None else config.val_max_readers
    sequences = training_sequences(interactions, max_len)
    if config.validation != "library":
        train, windows = split_readers(sequences, fraction, config.seed, cap)
        fit = interactions.subset(~np.isin(interactions.users, windows["users"].numpy()))
        return HeldOut(fit, train, windows, windows)
    readers = validation_readers(interactions.n_users, fraction, config.seed, cap).numpy()
    judged = held_out_libraries(interactions, readers, config.val_held_out, config.seed)
    others = interactions.subset(~np.isin(interactions.users, readers))
    fit = Interactions(
        *(np.r_[getattr(others, k), getattr(judged.train, k)] for k in ("users", "items", "timestamps", "events")),
        user_ids=interactions.user_ids,
    )
    _, windows = reader_windows(sequences, readers)
    return HeldOut(fit, training_sequences(fit, max_len), windows, judged)


def clearly_better(candidate: np.ndarray, incumbent: np.ndarray, margin: float = MARGIN) -> bool:
    """Whether per-reader scores `candidate` [n] beat `incumbent` [n], over the same n validation
    readers and their same held-out papers, by more than `margin` standard errors of the paired
    differences:

        d_u = candidate_u - incumbent_u,   d = (1/n) sum_u d_u,   s^2 = sum_u (d_u - d)^2 / (n - 1)
        better  <=>  d > margin * s / sqrt(n)

    Paired: how predictable a reader's library is cancels in d_u, so s is far below either score's
    own spread. At margin 2 an epoch no better than the start replaces it about 2.3% of the time
    (one-sided, normal approximation for n in the hundreds), once per epoch compared; a tie (every
    d_u = 0) never does. On full CiteULike-a, 278 readers chose epochs by 0.01 means that ranked
    the test readers 0.02-0.03 lower (docs/benchmarks.md, "Early stopping judged on held-out library
    papers")."""
    d = np.asarray(candidate, dtype=np.float64) - np.asarray(incumbent, dtype=np.float64)
    if not len(d):
        return False
    spread = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else 0.0
    return bool(d.mean() > margin * spread) and bool(d.mean() > 0)


@torch.no_grad()
def held_out_recalls(
    model: TwoTower,
    val: Split,
    catalogue: ItemFeatures,
    neighbors: Neighbors | None = None,
    k: int = 20,
    scorers: Callable[[Neighbors | None], Scorer] | None = None,
) -> np.ndarray:
    """Recall@k [n] of each of val.readers' held-out papers (`held_out_libraries`) in the served
    ranking from the rest of their library, the papers there excluded: what the harness reports for
    its test readers, reader by reader (for `clearly_better`).
    scorers: `served_scorers(model, val.train, catalogue)` where already made (a grid of neighbours)."""
    if not len(val.readers):
        return np.zeros(0)
    score = (scorers or served_scorers(model, val.train, catalogue))(neighbors)
    ks = sorted({*KS, k})  # the harness's cut-offs: the same top-k, ties and all
    measured = ranking_metrics(score, val.readers, val.relevant, val.seen, len(catalogue), ks, per_reader=True)
    return measured[f"readers_recall@{k}"]


def held_out_recall(model: TwoTower, val: Split, catalogue: ItemFeatures, *args, **kwargs) -> float:
    """The mean of `held_out_recalls` (same arguments) over the readers; NaN where there are none."""
    recalls = held_out_recalls(model, val, catalogue, *args, **kwargs)
    return float(recalls.mean()) if len(recalls) else float("nan")


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


def _on_libraries(model, val: Split, catalogue, matrices: dict, grid: list, k: int) -> tuple[float, float, dict]:
    """(scale, recall@k of the model alone, {cell: recall@k}) of the validation readers' held-out
    papers (`held_out_recall`); the neighbours read the rest of the library, as served."""
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
    scorers = served_scorers(model, val.train, catalogue)  # the model's part, once for the whole grid
    score = {
        (n, w, signed): held_out_recall(model, val, catalogue, matrices[n, signed].strongest(n, w * scale), k, scorers)
        for n, w, signed in grid
    }
    return scale, held_out_recall(model, val, catalogue, None, k, scorers), score


@torch.no_grad()
def choose_neighbors(
    model: TwoTower, val: dict | Split, catalogue: ItemFeatures, found: Neighbors, grid: list | None = None, k: int = 20
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
    is exactly user_vector . item_vector + neighbors.scores) and what was measured."""
    parts = {False: found.positive(), True: found} if found.signed else {False: found}
    ks = sorted({max(1, round(found.k * share)) for share in NEIGHBOR_SHARES})
    grid = [cell for cell in grid if cell[2] in parts] if grid else None
    grid = grid or [(n, w, signed) for signed in parts for n in ks for w in NEIGHBOR_WEIGHTS]
    matrices = {(n, signed): parts[signed].strongest(n) for n, _, signed in grid}
    on = _on_libraries if isinstance(val, Split) else _on_next_items
    scale, alone, scores = on(model, val, catalogue, matrices, grid, k)
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
