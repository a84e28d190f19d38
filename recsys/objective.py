"""The training objective: next-item prediction at every position of a batch of sequences.

Queries are the user tower's outputs at positions whose next event is a positive; candidates are
(a random subset of) the batch's own targets, plus optional uniform draws from the catalogue, or
the whole catalogue for the full softmax. `sequence_loss` is all one train step computes.

Under DDP (`group` given) the in-batch candidates are gathered from every rank, so the negatives
span the global batch as they would on one device, and each candidate's gradient flows back to the
rank that computed it: two ranks with half the batch each train exactly as one process with all of it.
"""

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor

from recsys.data import PAD, POSITIVE_CODES, target_mask
from recsys.loss import corrected_logq_loss, full_softmax_loss, logq_loss, sampled_softmax_loss
from recsys.model import ItemFeatures
from recsys.sampling import Release, mixed_proposal

LOSSES = ("full_softmax", "in_batch", "logq", "corrected_logq")
# mns_<loss>: the sampled losses over mixed negatives; the full softmax has no sample to mix into
METHODS = (*LOSSES, *(f"mns_{loss}" for loss in LOSSES if loss != "full_softmax"))


def parse_method(method: str) -> tuple[str, bool]:
    """'mns_corrected_logq' -> ('corrected_logq', True): the loss, and whether to mix in uniform negatives."""
    if method not in METHODS:
        raise ValueError(f"unknown two-tower method {method!r}")
    return method.removeprefix("mns_"), method.startswith("mns_")


class _GatherWithGradient(torch.autograd.Function):
    """All ranks' x [n, d] (equal n), concatenated; backward sums every rank's gradient of its slice."""

    @staticmethod
    def forward(ctx, x: Tensor, group) -> Tensor:
        ctx.group = group
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size(group))]
        dist.all_gather(parts, x.contiguous(), group=group)
        return torch.cat(parts)  # [world * n, d]

    @staticmethod
    def backward(ctx, grad: Tensor):
        # every rank's loss used this rank's candidates: their gradient is the sum over ranks.
        # (An all-reduce, not a reduce-scatter, which gloo lacks; the tensor is small.)
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, group=ctx.group)
        n = len(grad) // dist.get_world_size(ctx.group)
        rank = dist.get_rank(ctx.group)
        return grad[rank * n : (rank + 1) * n], None


def gather_candidates(ids: Tensor, vectors: Tensor, group) -> tuple[Tensor, Tensor]:
    """Every rank's candidate ids [n_r] and vectors [n_r, d], rank by rank; ranks differ in n_r."""
    world = dist.get_world_size(group)
    sizes = [torch.zeros(1, dtype=torch.long, device=ids.device) for _ in range(world)]
    dist.all_gather(sizes, torch.tensor([len(ids)], device=ids.device), group=group)
    longest = int(max(sizes))
    pad = longest - len(ids)  # collectives need equal shapes
    all_ids = [torch.empty(longest, dtype=ids.dtype, device=ids.device) for _ in range(world)]
    dist.all_gather(all_ids, F.pad(ids, (0, pad), value=-1), group=group)
    all_vectors = _GatherWithGradient.apply(F.pad(vectors, (0, 0, 0, pad)), group)  # [world * longest, d]
    keep = torch.cat([torch.arange(longest, device=ids.device) < size for size in sizes])
    return torch.cat(all_ids)[keep], all_vectors[keep]


def sequence_loss(
    model,
    batch: dict[str, Tensor],
    catalogue: ItemFeatures,
    loss: str,
    frequency,
    uniform_negatives: int = 0,
    in_batch_negatives: int = 0,
    group=None,
    release: Release | None = None,
) -> Tensor:
    """Mean loss over every (prefix -> next positive item) pair of the batch.

    batch: items/events/gaps [B, L + 1]. frequency: an estimator with update(ids) and q(ids).
    in_batch_negatives caps the candidates taken from the batch (0: all M targets), so the [M, C]
    score matrix stays affordable when B x L is large; a random subset of draws from q is still a
    sample from q. group: the process group to gather in-batch candidates over (None: this process's).
    release: when items came out; if given, the full softmax and the uniform negatives of each
    prediction cover only the items out by its time, batch["times"] [B, L + 1].
    """
    items, events = batch["items"], batch["events"]
    n_items, device = len(catalogue), items.device
    negatives = None
    if loss == "full_softmax":
        negatives = torch.arange(n_items, device=device)
    elif uniform_negatives:
        negatives = torch.randint(n_items, (uniform_negatives,), device=device)
    queries, vectors, extra = model(items, events, batch["gaps"], catalogue, negatives)

    is_target = target_mask(items, events)  # [B, L]
    q, target_ids, target_vectors = (
        queries[is_target],
        items[:, 1:][is_target],
        vectors[:, 1:][is_target],
    )  # [M, d], [M], [M, d]
    at = batch["times"][:, 1:][is_target] if release is not None else None  # [M], when each prediction is made
    return candidate_loss(
        q,
        target_ids,
        target_vectors,
        extra,
        negatives,
        n_items,
        loss,
        frequency,
        in_batch_negatives,
        group,
        release,
        at,
    )


def library_loss(
    model,
    batch: dict[str, Tensor],
    catalogue: ItemFeatures,
    loss: str,
    frequency,
    held_out: float,
    in_batch_negatives: int = 0,
    group=None,
) -> Tensor:
    """Order-free objective for libraries: each sequence, with a random `held_out` share of its
    positives removed, predicts every removed item (a denoising set objective, as Mult-DAE trains).

    The next-item objective asks a prefix for the item after it, so an order-free user tower only
    ever learns from prefixes; here each reader's vector is the one the app serves (the mean over
    the whole history shown) and learns to rank what is missing from it, against every candidate but
    the ones it was shown (the ranking never offers those either). batch: items/events
    [B, T]; the kept events move to the front of their row (the tower reads a prefix), and the
    query is the tower's output at the last kept one. Candidates as in `sequence_loss`.
    """
    items, events = batch["items"], batch["events"]
    B, T = items.shape
    n_items, device = len(catalogue), items.device
    valid = items >= 0
    positive = torch.isin(events, torch.as_tensor(POSITIVE_CODES, device=device)) & valid  # [B, T]
    held = positive & (torch.rand(B, T, device=device) < held_out)
    kept = valid & ~held
    nothing_kept = ~kept.any(1)  # such a row keeps its first event and predicts the rest
    held[nothing_kept, 0] = False
    kept = valid & ~held
    order = torch.argsort((~kept).to(torch.int8), dim=1, stable=True)  # kept events first
    in_kept = kept.gather(1, order)
    inputs = torch.where(in_kept, items.gather(1, order), PAD)
    in_events = torch.where(in_kept, events.gather(1, order), 0)
    pad_column = torch.full((B, 1), PAD, dtype=items.dtype, device=device)  # forward predicts a step ahead
    row, column = held.nonzero(as_tuple=True)  # [M]
    target_ids = items[row, column]
    catalogue_ids = torch.arange(n_items, device=device) if loss == "full_softmax" else None
    wanted = target_ids if catalogue_ids is None else torch.cat([target_ids, catalogue_ids])
    queries, _, extra = model(
        torch.cat([inputs, pad_column], 1),
        torch.cat([in_events, torch.zeros_like(pad_column)], 1),
        torch.zeros(B, T + 1, dtype=items.dtype, device=device),
        catalogue,
        wanted,
    )
    users = queries[torch.arange(B, device=device), kept.sum(1) - 1]  # [B, d]
    M = len(target_ids)
    if not M:  # nothing held out in this batch (tiny libraries): no signal, but a graph to step on
        return users.sum() * 0.0
    target_vectors, extra = extra[:M], (extra[M:] if catalogue_ids is not None else None)
    shown = torch.zeros(B, n_items, dtype=torch.bool, device=device)
    shown[torch.arange(B, device=device)[:, None].expand(B, T)[kept], items[kept]] = True
    shown = shown[row]  # [M, N]
    shown[torch.arange(M, device=device), target_ids] = False  # read twice, kept once: still its target
    return candidate_loss(
        users[row],
        target_ids,
        target_vectors,
        extra,
        catalogue_ids,
        n_items,
        loss,
        frequency,
        in_batch_negatives,
        group,
        shown=shown,
    )


def candidate_loss(
    q: Tensor,
    target_ids: Tensor,
    target_vectors: Tensor,
    extra: Tensor | None,
    negatives: Tensor | None,
    n_items: int,
    loss: str,
    frequency,
    in_batch_negatives: int = 0,
    group=None,
    release: Release | None = None,
    at: Tensor | None = None,
    shown: Tensor | None = None,
) -> Tensor:
    """The loss of queries q [M, d] for their targets [M] (vectors [M, d]) against the catalogue
    (full_softmax: `extra` holds every item's vector) or the batch's targets plus `extra`, the
    vectors of uniform draws `negatives` [U]. release/at: keep candidates to items out by then.
    shown [M, N]: items each query already had as input, never its negatives (as the ranking
    never offers a reader what they have)."""
    device = q.device
    M = len(target_ids)
    if loss == "full_softmax":
        logits = q @ extra.T  # [M, N] scores
        if release is not None:
            not_out = ~release.out_by(negatives, at)  # [M, N]
            not_out[torch.arange(M, device=device), target_ids] = False  # what was read was out
            logits = logits.masked_fill(not_out, float("-inf"))
        if shown is not None:
            logits = logits.masked_fill(shown, float("-inf"))
        return full_softmax_loss(logits, target_ids)

    pool = torch.arange(M, device=device)
    if in_batch_negatives and M > in_batch_negatives:
        pool = torch.randperm(M, device=device)[:in_batch_negatives]
    cand_ids, cand_vectors = target_ids[pool], target_vectors[pool]
    if group is not None:
        cand_ids, cand_vectors = gather_candidates(cand_ids, cand_vectors, group)
    n_batch = len(cand_ids)  # candidates [0, n_batch) from the batch
    if extra is not None:
        cand_ids, cand_vectors = torch.cat([cand_ids, negatives]), torch.cat([cand_vectors, extra])
    from_batch = torch.arange(len(cand_ids), device=device) < n_batch  # [C]

    neg = q @ cand_vectors.T  # [M, C]
    pos = (q * target_vectors).sum(-1)  # [M]
    valid = cand_ids[None, :] != target_ids[:, None]  # [M, C]
    if shown is not None:
        valid &= ~shown[:, cand_ids]
    n_out = n_items
    if release is not None and extra is not None:
        valid[:, n_batch:] &= release.out_by(negatives, at)  # [M, U]
        n_out = release.count(at).clamp_min(1)  # [M]
    if loss == "in_batch":
        return sampled_softmax_loss(pos, neg, valid)
    frequency.update(target_ids)
    proposal = mixed_proposal(frequency.q(target_ids), frequency.q(cand_ids), from_batch, valid, n_out)
    if loss == "logq":
        return logq_loss(pos, neg, valid, proposal.log_q_pos, proposal.log_q_neg)
    return corrected_logq_loss(pos, neg, valid, proposal.log_q_cond)
