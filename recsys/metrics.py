"""Full-catalogue ranking metrics: Recall@K, NDCG@K and catalogue coverage@K.

For a reader with held-out relevant set R (items already in their training data are removed
from R and from the ranking), and top-K list i_1..i_K:
    Recall@K   = |top-K ∩ R| / min(|R|, K)      (so a perfect ranking scores 1 at every K)
    NDCG@K     = sum_{r <= K, i_r in R} 1 / log2(r + 1)  /  sum_{r <= min(|R|, K)} 1 / log2(r + 1)
    Coverage@K = |union over readers of top-K| / N.
Each is averaged over readers with a non-empty R. Given `cold` items (nobody read them in training),
ColdRecall@K is Recall@K with R cut to its cold items, over the readers who have one: how well a
method ranks new papers among all papers, which only a content path can. NewRecall@K is the same
with the ranking cut to the cold items too: how well it ranks new papers among the new papers only,
as the weekly digest ranks a week's arrivals.
"""

from collections.abc import Callable

import numpy as np
import torch

KS = (10, 20, 100)
Scorer = Callable[[np.ndarray], torch.Tensor]  # reader indices [b] -> scores [b, N]


def _dense(rows: list[np.ndarray], n_items: int) -> torch.Tensor:
    mask = torch.zeros(len(rows), n_items, dtype=torch.bool)
    lengths = [len(r) for r in rows]
    if sum(lengths):
        mask[torch.from_numpy(np.repeat(np.arange(len(rows)), lengths)), torch.from_numpy(np.concatenate(rows))] = True
    return mask


def ranking_metrics(
    scorer: Scorer,
    readers: np.ndarray,
    relevant: list[np.ndarray],
    seen: list[np.ndarray],
    n_items: int,
    ks=KS,
    chunk: int = 512,
    cold: np.ndarray | None = None,
    per_reader: bool = False,
) -> dict:
    """relevant[j], seen[j]: item indices of readers[j] (held out; in training); cold: item indices
    (adds cold_recall@K and new_recall@K, NaN when no reader has a cold relevant item); per_reader:
    adds readers_recall@K, each reader's Recall@K [len(readers)] (what paired comparisons need)."""
    k_max = min(max(ks), n_items)
    discount = 1.0 / torch.log2(torch.arange(2, k_max + 2, dtype=torch.float64))  # [K]
    ideal = torch.cumsum(discount, 0)  # [K], IDCG by |R|
    sums = {f"{name}@{k}": 0.0 for k in ks for name in ("recall", "ndcg")}
    covered = {k: torch.zeros(n_items, dtype=torch.bool) for k in ks}
    is_cold = torch.zeros(n_items, dtype=torch.bool)
    if cold is not None:
        is_cold[torch.as_tensor(cold, dtype=torch.long)] = True
    cold_sums, new_sums, cold_readers = dict.fromkeys(ks, 0.0), dict.fromkeys(ks, 0.0), 0
    recalls = {k: [] for k in ks}
    for s in range(0, len(readers), chunk):
        scores = scorer(readers[s : s + chunk]).float().cpu()  # [b, N]
        is_seen = _dense(seen[s : s + chunk], n_items)
        is_relevant = _dense(relevant[s : s + chunk], n_items) & ~is_seen
        top = scores.masked_fill(is_seen, float("-inf")).topk(k_max, dim=1).indices  # [b, K]
        hits = is_relevant.gather(1, top).double()  # [b, K]
        n_rel = is_relevant.sum(1)  # [b]
        for k in ks:
            kk = min(k, k_max)
            best = n_rel.clamp(max=kk).clamp_min(1)
            recall = hits[:, :kk].sum(1) / best  # [b]
            sums[f"recall@{k}"] += float(recall.sum())
            recalls[k].append(recall.numpy())
            sums[f"ndcg@{k}"] += float(((hits[:, :kk] * discount[:kk]).sum(1) / ideal[best - 1]).sum())
            covered[k][top[:, :kk].flatten()] = True
        if cold is not None:
            cold_relevant = is_relevant & is_cold  # [b, N]
            n_cold = cold_relevant.sum(1)  # [b]
            cold_hits = cold_relevant.gather(1, top).double()  # [b, K]
            new_top = scores.masked_fill(is_seen | ~is_cold, float("-inf")).topk(k_max, dim=1).indices  # [b, K]
            new_hits = cold_relevant.gather(1, new_top).double()  # [b, K]: warm items there are never relevant
            cold_readers += int((n_cold > 0).sum())
            for k in ks:
                kk = min(k, k_max)
                best = n_cold.clamp(max=kk).clamp_min(1)
                cold_sums[k] += float((cold_hits[:, :kk].sum(1) / best).sum())
                new_sums[k] += float((new_hits[:, :kk].sum(1) / best).sum())
    out = {name: total / max(len(readers), 1) for name, total in sums.items()}
    if cold is not None:
        for name, totals in (("cold_recall", cold_sums), ("new_recall", new_sums)):
            out.update({f"{name}@{k}": totals[k] / cold_readers if cold_readers else float("nan") for k in ks})
    out.update({f"coverage@{k}": float(covered[k].float().mean()) for k in ks})
    if per_reader:
        out.update({f"readers_recall@{k}": np.concatenate(recalls[k] or [np.zeros(0)]) for k in ks})
    return out
