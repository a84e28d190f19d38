"""New papers: ranked from their text, and placed among the read ones by a rule chosen on the validation readers.

A paper nobody read in training, or one newer than the model, has no id row and no item-item neighbours,
so the served sum (recsys/neighbors.py) scores it by what its text predicts its rows to be,
user_vector . text_tower(i), while the neighbours lift the read papers it competes with: on full
CiteULike-a no new paper reached a reader's top 20 (cold_recall@20 0.0000). Such a paper is scored

    new(reader, i) = user_vector . text_tower(i) + |user_vector| (text_weight cos(profile, text(i)) + offset)

profile: the unit mean of the unit text vectors of the reader's positive papers (content_knn's, and the
app's content ranking's), so text_weight adds content similarity to the tower's text score, and |user_vector|
puts both in the reader's units (the dense part of every score grows with it). Both are chosen on the
validation readers (`choose`):
text_weight for how well it ranks those papers' next reads among the new papers only (what a week's
digest shows), then offset for the hit rate of all next reads in the whole ranking (For you), as far
as it costs the read papers' hits at most WARM_TOLERANCE.
NewPapers() (both zero) is the served sum unchanged.
"""

import dataclasses

import numpy as np
import torch

from recsys.data import POSITIVE_CODES, target_mask
from recsys.model import ItemFeatures, TwoTower
from recsys.neighbors import Neighbors, history_means

TEXT_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)
OFFSETS = (
    -4.0,
    -3.0,
    -2.0,
    -1.5,
    -1.0,
    -0.75,
    -0.5,
    -0.25,
    0.0,
    0.25,
    0.5,
    1.0,
    2.0,
)  # down to where no new paper shows
WARM_TOLERANCE = 0.01  # the share of the read papers' validation hits the new papers may displace
SIMULATED_SHARE = 0.1  # of the papers read in training, treated as new on the validation readers


@dataclasses.dataclass(frozen=True)
class NewPapers:
    text_weight: float = 0.0
    offset: float = 0.0

    def lift(self, cosine, user_norm):
        """[..., n]: what a new paper adds to its served score (user_vector . text_tower(i), the item
        vector it has), from its text cosines to the profile [..., n], for readers whose user vectors
        have length `user_norm` ([..., 1] or a number)."""
        return user_norm * (self.text_weight * cosine + self.offset)

    def __bool__(self) -> bool:
        return bool(self.text_weight or self.offset)

    @classmethod
    def from_extra(cls, extra: dict | None) -> "NewPapers":
        return cls(**extra) if extra else cls()


def text_profile(text: np.ndarray) -> np.ndarray:
    """[t] the unit mean of a history's text vectors [h, t] (each made unit first); zeros for none."""
    text = np.asarray(text, dtype=np.float32).reshape(-1, np.shape(text)[-1])
    if not len(text):
        return np.zeros(text.shape[1], dtype=np.float32)
    mean = (text / np.maximum(np.linalg.norm(text, axis=1, keepdims=True), 1e-12)).mean(0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def unit_rows(text) -> torch.Tensor:
    return torch.nn.functional.normalize(torch.as_tensor(text).float(), dim=-1)


def history_profiles(items: np.ndarray, events: np.ndarray, lengths: np.ndarray, text: torch.Tensor) -> torch.Tensor:
    """[b, t] `text_profile` of many histories at once: of the positive events among items/events [b, L]
    (their first lengths[b]), text [N, t] the catalogue's unit text vectors."""
    positives = np.where(np.isin(events, POSITIVE_CODES), items, -1)
    return unit_rows(torch.from_numpy(history_means(positives, lengths, len(text)) @ text.cpu().numpy()))


def is_new(read: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """[len(rows)] bool: which catalogue rows (-1: a paper newer than the model) the model never saw read."""
    rows = np.asarray(rows, dtype=np.int64)
    known = (rows >= 0) & (rows < len(read))
    out = np.ones(len(rows), dtype=bool)
    out[known] = ~read[rows[known]]
    return out


def read_rows(model: TwoTower) -> np.ndarray:
    """[n_items] bool: the catalogue rows with an id row, i.e. read in training (train() zeroes the rest)."""
    ids = model.item_tower.ids
    if ids is None or model.item_tower.text is None:
        return np.zeros(0, dtype=bool)
    return (ids.weight.detach().abs().sum(1) > 0).cpu().numpy()


@torch.no_grad()
def choose(
    model: TwoTower, val: dict, catalogue: ItemFeatures, neighbors: Neighbors | None, seed: int = 0, k: int = 20
) -> tuple[NewPapers, dict]:
    """The NewPapers rule for `model` served with `neighbors`, chosen on validation sequences `val` (as
    train() holds them out): text_weight by the hit@k of next reads among new papers only, the papers
    nobody read and a seeded SIMULATED_SHARE of the read ones scored as new (as candidates: their id rows
    and the neighbours' weights to them left out), since the validation readers read few new ones; then
    offset by the hit@k of every next read in the whole ranking with the catalogue as it is, among the
    offsets that keep the hits on read papers within WARM_TOLERANCE of the served sum's without a lift
    (no simulated share decides how many new papers a reader is shown; and the validation readers
    read more papers the model never saw than a test reader does, each one's own rare papers being
    among them, so the hits on new papers alone would lift them too far). Ties go to the smaller
    weight and the smaller lift.
    Returns the rule and what was measured."""
    read = torch.as_tensor(read_rows(model), device=catalogue.ids.device)
    if catalogue.text is None or not len(val["items"]) or not bool(read.any()):
        return NewPapers(), {}
    vectors = model.item_vectors(catalogue)  # [N, d]
    text_only = model.item_vectors(ItemFeatures(torch.full_like(catalogue.ids, -1), catalogue.text))  # [N, d]
    with model._inference():
        queries, _, _ = model(val["items"], val["events"], val["gaps"], catalogue)
    is_target = target_mask(val["items"], val["events"])
    q, target = queries[is_target].float(), val["items"][:, 1:][is_target]  # [p, d], [p]
    items, events = val["items"].cpu().numpy(), val["events"].cpu().numpy()
    b, t = np.nonzero(is_target.cpu().numpy())  # position t of sequence b predicts items[b, t + 1]
    text = unit_rows(catalogue.text)  # [N, t]
    profiles = history_profiles(items[b], events[b], t + 1, text).to(q.device)  # [p, t]
    generator = torch.Generator().manual_seed(seed)
    read_ids = torch.nonzero(read.cpu()).ravel()
    chosen = read_ids[
        torch.randperm(len(read_ids), generator=generator)[: max(1, round(SIMULATED_SHARE * len(read_ids)))]
    ]
    simulated = torch.zeros(len(catalogue), dtype=torch.bool)
    simulated[chosen] = True
    unread = ~read.cpu()
    simulated |= unread
    between = neighbors.matrix() if neighbors is not None else None
    prefixes = history_means(items[b], t + 1, len(catalogue)) if between is not None else None

    def chunks():
        """Each 1024 validation positions: their targets [c], queries [c, d], the text cosines [c, N] of
        the catalogue to their profiles and the queries' lengths [c, 1]."""
        for s in range(0, len(q), 1024):
            chunk = q[s : s + 1024]
            cosine = (profiles[s : s + 1024] @ text.T).cpu()
            yield s, target[s : s + 1024].cpu(), chunk, cosine, chunk.norm(dim=1, keepdim=True).cpu()

    # First the text weight, on the ranking among new papers only, which no offset changes...
    weights = dict.fromkeys(TEXT_WEIGHTS, 0)
    simulated_targets = unread_targets = 0
    for _, rows, chunk, cosine, norm in chunks():
        dense_new = (chunk @ text_only.T).cpu()
        target_new = simulated[rows]
        simulated_targets += int(target_new.sum())
        unread_targets += int(unread[rows].sum())
        for w in TEXT_WEIGHTS:
            among_new = (dense_new + NewPapers(w, 0.0).lift(cosine, norm)).masked_fill(~simulated, float("-inf"))
            mine = among_new.gather(1, rows[:, None])
            weights[w] += int(((among_new > mine).sum(1) < k)[target_new].sum())
    w = max(TEXT_WEIGHTS, key=lambda w: (weights[w], -w))
    # ...then the offset, for that weight alone, on the whole ranking.
    offsets, warm = dict.fromkeys(OFFSETS, 0), dict.fromkeys(OFFSETS, 0)
    unlifted = 0  # the read papers' hits without any lift (the served sum as it was)
    for s, rows, chunk, cosine, norm in chunks():
        served = (chunk @ vectors.T).cpu()  # [c, N]: an unread paper's vector is its text-only one
        if between is not None:
            served += torch.from_numpy((prefixes[s : s + 1024] @ between).toarray())
        target_read = ~unread[rows]
        unlifted += int(((served > served.gather(1, rows[:, None])).sum(1) < k)[target_read].sum())
        lifted = NewPapers(w, 0.0).lift(cosine, norm)  # [c, N]
        for o in OFFSETS:
            scores = torch.where(unread, served + lifted + o * norm, served)
            hit = (scores > scores.gather(1, rows[:, None])).sum(1) < k
            offsets[o] += int(hit.sum())
            warm[o] += int(hit[target_read].sum())
    kept = [o for o in OFFSETS if warm[o] >= (1 - WARM_TOLERANCE) * unlifted] or [OFFSETS[0]]
    o = max(kept, key=lambda o: (offsets[o], -o))  # ties: the least lift
    total = max(len(q), 1)
    return NewPapers(w, o), {
        "new_papers_val_targets": unread_targets,
        "new_papers_val_simulated_targets": simulated_targets,
        "new_papers_val_hit@20_among_new": {f"{w:g}": h / max(simulated_targets, 1) for w, h in weights.items()},
        "new_papers_val_hit@20": {f"{o:g}": offsets[o] / total for o in OFFSETS},
        "new_papers_val_read_hit@20": {"unlifted": unlifted / total, **{f"{o:g}": warm[o] / total for o in OFFSETS}},
    }
