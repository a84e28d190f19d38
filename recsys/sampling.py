"""Where negatives come from, and with what probability: the proposal Q the logQ losses correct for.

In-batch negatives. Row u's candidates are the positives of the other rows of the batch. Each of
those was drawn from the training stream, so it is item n with probability q(n) = count(n) / total,
the item's frequency among training targets. Candidates equal to u's positive p are masked, and a
draw from q kept only when it is not p is a draw from
    Q(n | n != p) = q(n) / (1 - q(p)),   n != p.

Uniform negatives. U items drawn uniformly from the N-item catalogue, shared by all rows:
Q(n) = 1/N and Q(n | n != p) = 1/(N - 1). When items have release times, a row keeps only the draws
already out at its time t (a reader cannot have passed over a paper not yet announced): a kept draw
is uniform over the N_t items out by t, so N becomes N_t, per row.

Mixed negatives (Yang et al., 2020). A row holds m draws from q and u uniform draws. Treating all
m + u as draws from the mixture Q_mix = (m q + u/N) / (m + u) is the balance heuristic of multiple
importance sampling: (1/k) sum_j f(n_j) / Q_mix(n_j) stays unbiased for stratified draws like these.
Conditioned on n != p, with m_u, u_u the row's valid counts of each kind,
    Q(n | n != p) = (m_u q(n) / (1 - q(p)) + u_u / (N - 1)) / (m_u + u_u).

q itself comes from exact counts over the training targets or, for long or open-ended streams, a
count-min sketch (memory fixed, never underestimates a count).
"""

from dataclasses import dataclass

import torch
from torch import Tensor

MERSENNE_PRIME = (1 << 31) - 1


class ExactFrequency:
    """q(n) from exact counts, known up front: the training targets of one fixed data set."""

    def __init__(self, counts: Tensor):
        self.counts = counts.double()
        self.total = float(self.counts.sum())

    def update(self, items: Tensor) -> None:
        """Nothing to learn: the counts already cover the whole stream."""

    def q(self, items: Tensor) -> Tensor:
        return (self.counts[items] / self.total).float()


class CountMinFrequency:
    """q(n) from a count-min sketch (Cormode & Muthukrishnan, 2005) updated with each batch.

    `depth` rows of `width` counters, one hash per row; an item's count is the smallest of its
    counters, which collisions can only inflate. Error: at most total * e / width with probability
    1 - e^-depth. Updated before it is read, so every item in a batch has a count of at least one.
    """

    def __init__(self, width: int = 1 << 20, depth: int = 4, device: str | torch.device = "cpu", seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.a = torch.randint(1, MERSENNE_PRIME, (depth, 1), generator=g).to(device)
        self.b = torch.randint(0, MERSENNE_PRIME, (depth, 1), generator=g).to(device)
        self.table = torch.zeros(depth, width, dtype=torch.float64, device=device)
        self.total = 0.0

    def _buckets(self, items: Tensor) -> Tensor:
        return (self.a * items[None, :] + self.b) % MERSENNE_PRIME % self.table.shape[1]  # [depth, n]

    def update(self, items: Tensor) -> None:
        for row, buckets in zip(self.table, self._buckets(items)):
            row.index_add_(0, buckets, torch.ones_like(buckets, dtype=row.dtype))
        self.total += items.numel()

    def q(self, items: Tensor) -> Tensor:
        counts = self.table.gather(1, self._buckets(items)).amin(0)
        return (counts / max(self.total, 1.0)).float()


class Release:
    """When each catalogue item came out, times [N] unix seconds: which items a row at time t could
    have met. Catalogue-wide negatives (the full softmax, uniform draws) are kept only among those:
    without this a model learns that papers nobody has read yet are bad, and new papers sink."""

    def __init__(self, times: Tensor):
        self.times = times
        self.ordered = times.sort().values

    def out_by(self, items: Tensor, at: Tensor) -> Tensor:
        """[M, K]: whether each of the items [K] was out at each of the times `at` [M]."""
        return self.times[items][None, :] <= at[:, None]

    def count(self, at: Tensor) -> Tensor:
        """[M]: how many items were out at each of the times `at` [M]."""
        return torch.searchsorted(self.ordered, at, right=True)


@dataclass
class Proposal:
    """log Q of every candidate, in the two forms the losses need."""

    log_q_pos: Tensor  # [M]     log Q_mix(p), Yi et al.'s correction of the positive
    log_q_neg: Tensor  # [M, C]  log Q_mix(n), the same for every row unless N_t varies by row
    log_q_cond: Tensor  # [M, C]  log Q(n | n != p), per row (corrected logQ)


@torch.no_grad()
def mixed_proposal(q_pos: Tensor, q_cand: Tensor, from_batch: Tensor, valid: Tensor, n_items: int | Tensor) -> Proposal:
    """Proposal of M rows' candidates: the in-batch ones (`from_batch`) and any uniform ones.

    q_pos [M] and q_cand [C] are training frequencies; valid [M, C] masks accidental hits (and a
    row's own slot, and uniform draws not yet released). Batch slots hold other rows' positives,
    draws from q. n_items: the catalogue size, or [M] the number of items out at each row's time.
    """
    m = float(from_batch.sum())
    u = float((~from_batch).sum())
    n_items = torch.as_tensor(n_items, dtype=q_cand.dtype, device=q_cand.device)
    uniform = 1.0 / n_items  # [] or [M]
    mix_pos = (m * q_pos + u * uniform) / (m + u)  # [M]
    # Q_mix belongs to the item, not the slot: a batch slot and a uniform slot holding the same
    # item share it, since either stratum could have produced it
    mix_cand = (m * q_cand + u * uniform[..., None]) / (m + u)  # [C] or [M, C]

    tiny = torch.finfo(q_cand.dtype).tiny
    not_p = (1.0 - q_pos).clamp_min(1e-12)  # [M], 1 - q(p)
    if u == 0:
        # In-batch only: the row weights cancel and Q(n | n != p) = q(n) / (1 - q(p)), so its log is
        # an outer difference of two log vectors: one pass over [M, C]
        log_q_cond = torch.log(q_cand.clamp_min(tiny))[None, :] - torch.log(not_p)[:, None]
    else:
        # per row an affine function of q(n), a_r q(n) + b_r: built and logged in place, three passes
        m_row = (valid & from_batch).sum(1, dtype=torch.int32).to(q_cand.dtype)  # [M]
        u_row = (valid & ~from_batch).sum(1, dtype=torch.int32).to(q_cand.dtype)  # [M]
        k_row = (m_row + u_row).clamp_min(1.0)
        a, b = m_row / (not_p * k_row), u_row / ((n_items - 1).clamp_min(1) * k_row)  # [M], [M]
        log_q_cond = torch.addcmul(b[:, None], a[:, None], q_cand[None, :]).clamp_min_(tiny).log_()
    return Proposal(
        log_q_pos=torch.log(mix_pos),
        log_q_neg=torch.log(mix_cand).expand(len(q_pos), -1),
        log_q_cond=log_q_cond,
    )
