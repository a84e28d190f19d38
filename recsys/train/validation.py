"""The validation readers: who they are and how well a model ranks what they hold out (which of
the start's neighbours to serve beside it: recsys.train.neighbor_choice).

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
import torch

from recsys.data import Interactions, target_mask, training_sequences
from recsys.metrics import KS, ranking_metrics
from recsys.model import ItemFeatures, TwoTower
from recsys.neighbors import Neighbors
from recsys.scoring import Scorer, served_scorers
from recsys.splits import Split, split
from recsys.train.config import TrainConfig

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
