"""Item-item neighbours beside the two towers: what a d-dimensional inner product cannot hold.

EASE's B (Steck, 2019) ranks a reader's candidates by x_u B. The two-tower serves a rank-d part of it,
P Q^T; on catalogues where most papers have one or two readers most of B lies beyond rank 256 (full
CiteULike-a: rank-256 EASE 0.193 recall@20, full EASE 0.339). So each item also keeps its k strongest
weights of an item-item matrix S (e.g. B - P Q^T), and the served score is

    score(reader, i) = user_vector(history) . item_vector(i) + neighbours.scores(history, [i])
    neighbours.scores(history, c) = (1 / |history|) sum_{j in history} S[j, c]     (top k of row j only)

which is sparse: a reader's candidates beyond the dense index are the union of their history's
neighbour rows (`candidates`). Rows are catalogue rows (a model's item index); -1 is a paper the
model does not know, which has no neighbours and is no one's neighbour.
"""

import dataclasses

import numpy as np
import scipy.sparse as sp
import torch


@dataclasses.dataclass(frozen=True)
class Neighbors:
    rows: np.ndarray  # [n_items, k] int32: each item's k strongest neighbours' catalogue rows, -1 pads
    weights: np.ndarray  # [n_items, k] float32: weights[j, c] is S[j, rows[j, c]]

    @classmethod
    def top_k(cls, s: np.ndarray, kept: np.ndarray, n_items: int, k: int, block: int = 1024) -> "Neighbors":
        """The k largest weights of each row of `s` [m, m], an item-item matrix over the catalogue rows
        `kept` [m]; items outside `kept` get no neighbours. Only positive weights are kept: a negative
        one would lower a candidate that only some other neighbour list could have raised. Each row's
        neighbours come strongest first (so `strongest(k')` is the top k' of them); `s` is read
        `block` rows at a time, so no second m x m array is made."""
        k = max(0, min(k, s.shape[1]))
        rows = np.full((n_items, k), -1, dtype=np.int32)
        weights = np.zeros((n_items, k), dtype=np.float32)
        if k == 0 or len(kept) == 0:
            return cls(rows, weights)
        kept = np.asarray(kept)
        for start in range(0, len(kept), block):
            part = s[start : start + block]  # [b, m]
            top = np.argpartition(-part, k - 1, axis=1)[:, :k]  # [b, k], unordered
            top_weights = np.take_along_axis(part, top, axis=1)  # [b, k]
            order = np.argsort(-top_weights, axis=1, kind="stable")
            top, top_weights = np.take_along_axis(top, order, axis=1), np.take_along_axis(top_weights, order, axis=1)
            positive = top_weights > 0
            at = kept[start : start + block]
            rows[at] = np.where(positive, kept[top], -1)
            weights[at] = np.where(positive, top_weights, 0.0)
        return cls(rows, weights)

    def strongest(self, k: int, weight: float = 1.0) -> "Neighbors":
        """Each item's k strongest neighbours (of rows already strongest first, as `top_k` makes
        them), their weights times `weight`."""
        return Neighbors(self.rows[:, :k].copy(), self.weights[:, :k] * np.float32(weight))

    def matrix(self) -> sp.csr_matrix:
        """W [n_items, n_items], W[j, c] the weight of c among j's neighbours: for a history h (no
        unknown rows), scores(h, c) = (counts of h's rows) W[:, c] / len(h)."""
        n = len(self.rows)
        held = self.rows >= 0
        source = np.broadcast_to(np.arange(n)[:, None], self.rows.shape)[held]
        return sp.csr_matrix((self.weights[held], (source, self.rows[held])), shape=(n, n))

    @property
    def k(self) -> int:
        return self.rows.shape[1]

    def scores(self, history: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """[len(candidates)] float32: the mean over the history's positions (-1: unknown, adds 0) of
        each position's weight to each candidate (-1 scores 0)."""
        history, candidates = np.asarray(history, dtype=np.int64), np.asarray(candidates, dtype=np.int64)
        out = np.zeros(len(candidates), dtype=np.float32)
        known = history[(history >= 0) & (history < len(self.rows))]
        if len(history) == 0 or len(known) == 0 or len(candidates) == 0:
            return out
        targets, weights = self.rows[known].ravel(), self.weights[known].ravel()  # [h * k]
        order = np.argsort(candidates, kind="stable")
        at = np.searchsorted(candidates[order], targets)  # where each target would sit among candidates
        hit = (targets >= 0) & (at < len(candidates))
        hit[hit] = candidates[order][at[hit]] == targets[hit]
        np.add.at(out, order[at[hit]], weights[hit])
        return out / len(history)

    def candidates(self, history: np.ndarray) -> np.ndarray:
        """The distinct catalogue rows some known history position has as a neighbour."""
        history = np.asarray(history, dtype=np.int64)
        known = history[(history >= 0) & (history < len(self.rows))]
        targets = self.rows[known].ravel()
        return np.unique(targets[targets >= 0])

    def to_extra(self) -> dict:
        """Tensors for a checkpoint's `extra`: torch.load(weights_only=True) refuses numpy arrays."""
        return {"rows": torch.from_numpy(self.rows), "weights": torch.from_numpy(self.weights)}

    @classmethod
    def from_extra(cls, extra: dict | None) -> "Neighbors | None":
        if not extra:
            return None
        return cls(np.asarray(extra["rows"], dtype=np.int32), np.asarray(extra["weights"], dtype=np.float32))


def history_means(items: np.ndarray, lengths: np.ndarray, n_items: int) -> sp.csr_matrix:
    """H [b, n_items]: row r holds 1 / lengths[r] on each row of items[r, :lengths[r]] (repeats add up;
    an unknown row, < 0, counts in the length and adds nothing), so (H @ neighbors.matrix())[r] is
    `Neighbors.scores` of history r against every item, for many histories at once."""
    reader, position = np.nonzero(np.arange(items.shape[1])[None, :] < lengths[:, None])
    columns = items[reader, position]
    known = columns >= 0
    values = (1.0 / lengths[reader[known]]).astype(np.float32)
    return sp.csr_matrix((values, (reader[known], columns[known])), shape=(len(items), n_items))
