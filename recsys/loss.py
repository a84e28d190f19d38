"""Softmax losses for retrieval: the full softmax and three sampled estimates of it.

Notation, one row per query u: the positive p with score s_p, candidate negatives n_1..n_k with
scores s_j, drawn from a proposal Q. The full softmax over the catalogue C is

    L_full = -s_p + log sum_{i in C} exp(s_i),
    dL_full = -(1 - P_p) ds_p + (1 - P_p) E_{i ~ P(. | i != p)}[ds_i],    P_i = softmax(s)_i.

The sampled losses replace the sum over C with the k candidates. Candidates that are the positive
itself ("accidental hits") are masked out with `valid`, so every row has its own number of usable
negatives k_u = valid.sum(1). All losses compute in float32 or wider, whatever the input dtype, and
stay finite when a row has no valid negative at all.

Shapes: pos [B], neg [B, K], valid [B, K] (bool), log_q* [B] or [B, K]; each returns a scalar mean.
"""

import torch
import torch.nn.functional as F
from torch import Tensor


def widen(x: Tensor) -> Tensor:
    """bf16/fp16 scores (autocast) are too coarse for a log-sum-exp over thousands of terms."""
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


class _MaskedLogSumExp(torch.autograd.Function):
    """log sum_j [valid_j] exp(x_j - offset_j) in place on one float32 copy of x.

    The [B, K] score matrices are the largest tensors of a train step and elementwise passes over
    them dominate it on a CPU: autograd's composition of the same ops allocates and walks a new
    [B, K] tensor at each op. Here the forward walks one buffer in place and keeps it (the
    unnormalised softmax) for the backward, which is one multiplication. `offset` takes no gradient.
    """

    @staticmethod
    def forward(
        ctx, x: Tensor, valid: Tensor, has_any: Tensor, offset: Tensor | None
    ) -> Tensor:  # [B, K], [B, K], [B], [B, K]
        z = widen(x) - offset if offset is not None else widen(x).clone()  # [B, K], a fresh buffer
        z.masked_fill_(~valid, float("-inf"))
        shift = z.amax(-1).masked_fill_(~has_any, 0.0)  # [B], finite
        total = z.sub_(shift[:, None]).exp_().sum(-1)  # [B], 0 in rows with nothing valid
        total = torch.where(has_any, total, torch.ones_like(total))
        ctx.save_for_backward(z, total)
        ctx.x_dtype = x.dtype
        return shift + torch.log(total)

    @staticmethod
    def backward(ctx, grad: Tensor):
        z, total = ctx.saved_tensors
        return (z * (grad / total)[:, None]).to(ctx.x_dtype), None, None, None  # softmax over the valid entries


def masked_logsumexp(x: Tensor, valid: Tensor, offset: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """log sum_j [valid_j] exp(x_j - offset_j) along the last dim, and the row's number of valid entries.

    x [B, K]; offset broadcasts to [B, K] (a log proposal) or is None. A row with nothing valid
    gets 0, not -inf, so that neither it nor its gradient turns to NaN when the caller multiplies
    it by zero; the caller decides what such a row means.
    """
    count = valid.sum(-1, dtype=torch.int32)  # [B]; an int32 sum of a bool matrix, 7x faster than the default int64
    return _MaskedLogSumExp.apply(x, valid, count > 0, offset), count


def _softmax_with_positive(pos: Tensor, neg: Tensor, valid: Tensor, neg_offset: Tensor | None = None) -> Tensor:
    """mean of -pos + log(exp(pos) + sum_j [valid_j] exp(neg_j - neg_offset_j)), without
    concatenating the positive onto the [B, K] matrix."""
    pos = widen(pos)
    log_z_neg, k = masked_logsumexp(neg, valid, neg_offset)  # [B]
    log_z = torch.where(k > 0, torch.logaddexp(pos, log_z_neg), pos)  # [B]
    return (log_z - pos).mean()


def full_softmax_loss(logits: Tensor, target: Tensor) -> Tensor:
    """L = -s_p + log sum_{i in C} exp(s_i): cross-entropy over the whole catalogue.

    logits [B, N] scores against every item, target [B] the positive's index. The reference the
    sampled losses estimate, and the best choice whenever B x N scores fit in memory.
    """
    return F.cross_entropy(widen(logits), target)


def sampled_softmax_loss(pos: Tensor, neg: Tensor, valid: Tensor) -> Tensor:
    """No correction: L = -s_p + log(exp(s_p) + sum_j exp(s_j)).

    With in-batch negatives the candidates follow item popularity Q, so this is the full softmax
    of s + log Q rather than of s: popular items are over-penalised, and no k removes that bias.
    """
    return _softmax_with_positive(pos, neg, valid)


def logq_loss(pos: Tensor, neg: Tensor, valid: Tensor, log_q_pos: Tensor, log_q_neg: Tensor) -> Tensor:
    """Yi et al. (RecSys 2019): every logit, the positive's too, becomes s - log Q(item).

    L = -(s_p - log Q(p)) + log(exp(s_p - log Q(p)) + sum_j exp(s_j - log Q(n_j))).
    The positive was not drawn from Q, yet it is corrected as if it had been and stays in the
    denominator: a finite-k bias that `corrected_logq_loss` removes.
    """
    return _softmax_with_positive(widen(pos) - log_q_pos, neg, valid, log_q_neg)


def corrected_logq_loss(
    pos: Tensor, neg: Tensor, valid: Tensor, log_q_cond: Tensor, weight: Tensor | None = None
) -> Tensor:
    """Khrylchenko et al. (RecSys 2025, arXiv 2507.09331): the positive leaves the denominator.

    Rewrite the full-softmax gradient (module docstring) as
        dL_full = (1 - P_p) * (-ds_p + E_{i ~ P(. | i != p)}[ds_i]).
    Negatives that are not p are draws from Q'(n) = Q(n | n != p) = Q(n) / (1 - Q(p)); the
    self-normalised importance-sampling estimate of that expectation is the gradient of
    log sum_j exp(s_j - log Q'(n_j)). And (1/k) sum_j exp(s_j) / Q'(n_j) is an unbiased estimate of
    sum_{i != p} exp(s_i), which gives the estimate p_hat of P_p. Hence
        L = -w * (s_p - log sum_j exp(s_j - log Q'(n_j))),    w = 1 - p_hat (no gradient),
        p_hat = e^{s_p} / (e^{s_p} + (1/k) sum_j e^{s_j} / Q'(n_j)) = sigmoid(s_p - log Z_hat).
    Its gradient tends to dL_full as k grows. A row with no valid negative has Z_hat = 0, so
    p_hat = 1 and w = 0: it contributes nothing.

    log_q_cond [B, K] is log Q'(n_j), per row (it depends on p); `weight` overrides w (gradcheck).
    """
    pos = widen(pos)
    log_z, k = masked_logsumexp(neg, valid, log_q_cond)  # [B], log sum_j e^{s_j}/Q'_j
    has_neg = k > 0
    if weight is None:
        p_hat = torch.sigmoid(pos - (log_z - torch.log(k.clamp_min(1).to(log_z.dtype))))  # [B]
        weight = torch.where(has_neg, 1 - p_hat, torch.zeros_like(p_hat)).detach()
    per_row = torch.where(has_neg, weight * (log_z - pos), torch.zeros_like(pos))
    return per_row.mean()
