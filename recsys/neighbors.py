"""Item-item neighbours beside the two towers: what a d-dimensional inner product cannot hold.

EASE's B (Steck, 2019) ranks a reader's candidates by x_u B. The two-tower serves a rank-d part of it,
P Q^T; on catalogues where most papers have one or two readers most of B lies beyond rank 256 (full
CiteULike-a: rank-256 EASE 0.193 recall@20, full EASE 0.339). So each item also keeps its k strongest
weights of an item-item matrix S (e.g. B - P Q^T), and the served score is

    score(reader, i) = user_vector(history) . item_vector(i) + neighbours.scores(history, [i])
    neighbours.scores(library, c) = (1 / |library|) sum_{j in library} S[j, c]     (top k of row j only)

where the library is the reader's distinct positively read papers, all of them (the latest
LIBRARY_MAX), as EASE's x_u holds them, not the latest events the user tower reads: CiteULike-a's
libraries average 37 papers and reach hundreds, and a dismissed paper is nobody's evidence. The
score is sparse: a reader's candidates beyond the dense index are the union of their history's
neighbour rows (`candidates`). Rows are catalogue rows (a model's item index); -1 is a paper the
model does not know, which has no neighbours and is no one's neighbour.
"""

import dataclasses

import numpy as np
import scipy.sparse as sp
import torch

from recsys.data import Interactions

LIBRARY_MAX = 1000  # papers of a reader's library the neighbours read (the latest; ~8 KiB a reader cached)


@dataclasses.dataclass(frozen=True)
class Neighbors:
    """Each item's neighbour list, strongest first, in compressed sparse rows: item j's neighbours are
    indices[indptr[j]:indptr[j + 1]] with weights data[...]. Only papers someone read have neighbours,
    so this holds ~8 bytes per neighbour where [n_items, k] arrays held 8 k bytes per item (100 MB at
    100,000 papers and k = 128, of which 5 MB were neighbours)."""

    indptr: np.ndarray  # [n_items + 1] int64
    indices: np.ndarray  # [nnz] int32: catalogue rows, each item's strongest first
    data: np.ndarray  # [nnz] float32: the weight S[j, indices[...]] of each
    k: int  # the most neighbours an item may have (the checkpoint's choice; many items have fewer)

    @classmethod
    def top_k(
        cls, s: np.ndarray, kept: np.ndarray, n_items: int, k: int, block: int = 1024, signed: bool = False
    ) -> "Neighbors":
        """The k strongest weights of each row of `s` [m, m], an item-item matrix over the catalogue
        rows `kept` [m]; items outside `kept` get no neighbours. By default only positive weights are
        kept, the k largest: a negative one would lower a candidate that only some other neighbour
        list could have raised. `signed` keeps the k largest in magnitude, negative ones too: where
        the dense part P Q^T smears weight over papers B itself does not join, the negative residual
        takes it back (full CiteULike-a, docs/benchmarks.md). Each row's neighbours come strongest
        first (so `strongest(k')` is the top k' of them); `s` is read `block` rows at a time, so no
        second m x m array is made."""
        k = max(0, min(k, s.shape[1]))
        kept = np.asarray(kept, dtype=np.int32)  # int32 triples: 2,048 of 17,000 papers' are 35M of them
        if k == 0 or len(kept) == 0:
            return cls.empty(n_items, k)
        sources, targets, weights = [], [], []
        for start in range(0, len(kept), block):
            part = s[start : start + block]  # [b, m]
            strength = np.abs(part) if signed else part
            top = np.argpartition(-strength, k - 1, axis=1)[:, :k]  # [b, k], unordered
            order = np.argsort(-np.take_along_axis(strength, top, axis=1), axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            top_weights = np.take_along_axis(part, top, axis=1)  # [b, k]
            held = (top_weights != 0) if signed else (top_weights > 0)  # row-major: each row's strongest first
            sources.append(np.broadcast_to(kept[start : start + block, None], top.shape)[held])
            targets.append(kept[top[held]])
            weights.append(top_weights[held])
        return cls.from_lists(np.concatenate(sources), np.concatenate(targets), np.concatenate(weights), n_items, k)

    def positive(self) -> "Neighbors":
        """These neighbours without their negative weights (each list still strongest first)."""
        source, _ = self._positions()
        held = self.data > 0
        return Neighbors.from_lists(source[held], self.indices[held], self.data[held], self.n_items, self.k)

    @property
    def signed(self) -> bool:
        return bool((self.data < 0).any())

    @classmethod
    def from_lists(
        cls, sources: np.ndarray, targets: np.ndarray, weights: np.ndarray, n_items: int, k: int
    ) -> "Neighbors":
        """From (source item, neighbour, weight) triples, each source's neighbours strongest first
        (sources in any order: a stable sort groups them without reordering a list)."""
        order = np.argsort(sources, kind="stable")
        indptr = np.zeros(n_items + 1, dtype=np.int64)
        np.cumsum(np.bincount(sources, minlength=n_items), out=indptr[1:])
        return cls(indptr, np.asarray(targets[order], dtype=np.int32), np.asarray(weights[order], dtype=np.float32), k)

    @classmethod
    def empty(cls, n_items: int, k: int = 0) -> "Neighbors":
        return cls(np.zeros(n_items + 1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32), k)

    @classmethod
    def from_dense(cls, rows: np.ndarray, weights: np.ndarray) -> "Neighbors":
        """From the [n_items, k] layout (rows padded with -1), as checkpoints before the sparse one hold."""
        held = rows >= 0
        sources = np.broadcast_to(np.arange(len(rows))[:, None], rows.shape)[held]
        return cls.from_lists(sources, rows[held], weights[held], len(rows), rows.shape[1])

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """([n_items, k] int32 rows padded with -1, [n_items, k] float32 weights padded with 0): the
        old layout, for tests and small catalogues (it is n_items x k x 8 bytes)."""
        rows = np.full((self.n_items, self.k), -1, dtype=np.int32)
        weights = np.zeros((self.n_items, self.k), dtype=np.float32)
        source, position = self._positions()
        rows[source, position], weights[source, position] = self.indices, self.data
        return rows, weights

    @property
    def n_items(self) -> int:
        return len(self.indptr) - 1

    def lengths(self) -> np.ndarray:
        """[n_items] how many neighbours each item has."""
        return np.diff(self.indptr)

    def _positions(self) -> tuple[np.ndarray, np.ndarray]:
        """[nnz] each entry's item and its place in that item's list (0: the strongest)."""
        lengths = self.lengths()
        source = np.repeat(np.arange(self.n_items), lengths)
        return source, np.arange(len(self.indices)) - self.indptr[source]

    def strongest(self, k: int, weight: float = 1.0) -> "Neighbors":
        """Each item's k strongest neighbours (of rows already strongest first, as `top_k` makes
        them), their weights times `weight`."""
        source, position = self._positions()
        keep = position < k
        indptr = np.zeros_like(self.indptr)
        np.cumsum(np.minimum(self.lengths(), k), out=indptr[1:])
        return Neighbors(indptr, self.indices[keep], self.data[keep] * np.float32(weight), min(k, self.k))

    def matrix(self) -> sp.csr_matrix:
        """W [n_items, n_items], W[j, c] the weight of c among j's neighbours: for a history h (no
        unknown rows), scores(h, c) = (counts of h's rows) W[:, c] / len(h)."""
        n = self.n_items
        return sp.csr_matrix((self.data.copy(), self.indices.copy(), self.indptr.copy()), shape=(n, n))

    def _lists(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The neighbour lists of the history's known positions, one after another (repeats kept):
        ([total] catalogue rows, [total] weights)."""
        history = np.asarray(history, dtype=np.int64)
        known = history[(history >= 0) & (history < self.n_items)]
        starts, lengths = self.indptr[known], self.indptr[known + 1] - self.indptr[known]
        # entry i of list j sits at starts[j] + (i - where list j begins in the output)
        at = np.arange(lengths.sum()) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        return self.indices[at], self.data[at]

    def scores(self, history: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """[len(candidates)] float32: the mean over the history's positions (-1: unknown, adds 0) of
        each position's weight to each candidate (-1 scores 0)."""
        candidates = np.asarray(candidates, dtype=np.int64)
        out = np.zeros(len(candidates))  # summed in float64, in the lists' order: as candidate_scores sums
        targets, weights = self._lists(history)  # [h * k]
        if len(targets) == 0 or len(candidates) == 0:
            return out.astype(np.float32)
        order = np.argsort(candidates, kind="stable")
        at = np.searchsorted(candidates[order], targets)  # where each target would sit among candidates
        hit = at < len(candidates)
        hit[hit] = candidates[order][at[hit]] == targets[hit]
        np.add.at(out, order[at[hit]], weights[hit])
        return out.astype(np.float32) / len(history)

    def candidates(self, history: np.ndarray) -> np.ndarray:
        """The distinct catalogue rows some known history position has as a neighbour of positive
        weight (a negative one can only lower a paper)."""
        targets, weights = self._lists(history)
        return np.unique(targets[weights > 0])

    def candidate_scores(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, their `scores`) in one pass: every catalogue row the neighbours give a part of the
        score, of either sign (`candidates` and the rows only negative weights lower), and that part."""
        targets, weights = self._lists(history)
        if len(targets) * 16 < self.n_items:  # a few: sorting them beats a pass over the catalogue
            rows, inverse = np.unique(targets, return_inverse=True)
            summed = np.zeros(len(rows))
            np.add.at(summed, inverse, weights)
        else:  # a long history's many lists (500 x 512): np.unique's inverse alone took 18 ms
            rows = np.flatnonzero(np.bincount(targets, minlength=self.n_items))
            summed = np.bincount(targets, weights=weights, minlength=self.n_items)[rows]
        # float64 sums in the lists' order, as `scores` sums them: the same floats either way
        return rows, summed.astype(np.float32) / max(len(history), 1)

    def to_extra(self) -> dict:
        """Tensors for a checkpoint's `extra`: torch.load(weights_only=True) refuses numpy arrays."""
        return {
            "indptr": torch.from_numpy(self.indptr),
            "indices": torch.from_numpy(self.indices),
            "data": torch.from_numpy(self.data),
            "k": int(self.k),
        }

    @classmethod
    def from_extra(cls, extra: dict | None) -> "Neighbors | None":
        """From `to_extra`'s dict, or from the dense {"rows", "weights"} that older checkpoints hold."""
        if not extra:
            return None
        if "rows" in extra:
            return cls.from_dense(
                np.asarray(extra["rows"], dtype=np.int32), np.asarray(extra["weights"], dtype=np.float32)
            )
        return cls(
            np.asarray(extra["indptr"], dtype=np.int64),
            np.asarray(extra["indices"], dtype=np.int32),
            np.asarray(extra["data"], dtype=np.float32),
            int(extra["k"]),
        )


def history_means(items: np.ndarray, lengths: np.ndarray, n_items: int) -> sp.csr_matrix:
    """H [b, n_items]: row r holds 1 / lengths[r] on each row of items[r, :lengths[r]] (repeats add up;
    an unknown row, < 0, counts in the length and adds nothing), so (H @ neighbors.matrix())[r] is
    `Neighbors.scores` of history r against every item, for many histories at once."""
    reader, position = np.nonzero(np.arange(items.shape[1])[None, :] < lengths[:, None])
    columns = items[reader, position]
    known = columns >= 0
    values = (1.0 / lengths[reader[known]]).astype(np.float32)
    return sp.csr_matrix((values, (reader[known], columns[known])), shape=(len(items), n_items))


def library_means(inter: Interactions, n_items: int, cap: int = LIBRARY_MAX) -> sp.csr_matrix:
    """L [n_users, n_items]: row u holds 1 / |library_u| on each paper of reader u's library, their
    distinct positively read papers (the latest `cap`, by each paper's latest positive event), so
    (L @ neighbors.matrix())[u] is `Neighbors.scores(library_u, every item)`: what the app serves."""
    users, items, _, lengths = _libraries(inter, n_items, cap)
    values = (1.0 / lengths[users]).astype(np.float32)
    return sp.csr_matrix((values, (users, items)), shape=(inter.n_users, n_items))


def library_histories(inter: Interactions, n_items: int, cap: int = LIBRARY_MAX) -> dict[str, torch.Tensor]:
    """Each reader's library as `library_means` holds it, as a history for a tower that reads it
    (TwoTower.reads_library): items/events [n_users, longest library] left-aligned, oldest first,
    each paper once with the code of its latest positive event (padding: item -1, event 0)."""
    users, items, events, lengths = _libraries(inter, n_items, cap)
    column = np.arange(len(users)) - np.r_[0, np.cumsum(lengths)[:-1]][users]
    width = int(lengths.max()) if len(lengths) else 0
    out = {"items": np.full((inter.n_users, width), -1), "events": np.zeros((inter.n_users, width), dtype=np.int64)}
    out["items"][users, column], out["events"][users, column] = items, events
    return {name: torch.from_numpy(values) for name, values in out.items()}


def _libraries(inter: Interactions, n_items: int, cap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(users, items, event codes) of every reader's library, by reader then the time each paper was
    last read positively; [n_users] library lengths."""
    positive = inter.positive
    users, items, times = inter.users[positive], inter.items[positive], inter.timestamps[positive]
    order = np.lexsort((times, users))  # by reader, then time
    users, items, events = users[order], items[order], inter.events[positive][order]
    # each (reader, paper) once, at its latest positive event
    _, last = np.unique((users.astype(np.int64) * n_items + items)[::-1], return_index=True)
    keep = np.sort(len(users) - 1 - last)
    users, items, events = users[keep], items[keep], events[keep]
    sizes = np.bincount(users, minlength=inter.n_users)
    from_latest = np.cumsum(sizes)[users] - np.arange(len(users))  # 1: the reader's latest paper
    kept = from_latest <= cap
    return users[kept], items[kept], events[kept], np.minimum(sizes, cap)
