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


def masked_logsumexp(x: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
    """log sum_j [valid_j] exp(x_j) along the last dim, and whether the row had any valid entry.

    A row with nothing valid gets 0, not -inf, so that neither it nor its gradient turns to NaN
    when the caller multiplies it by zero; the caller decides what such a row means.
    """
    x = x.masked_fill(~valid, float("-inf"))                      # [B, K]
    has_any = valid.any(-1)                                       # [B]
    shift = x.amax(-1).detach().masked_fill(~has_any, 0.0)        # [B], a finite max for stability
    total = torch.exp(x - shift[:, None]).sum(-1)                 # [B], 0 in rows with nothing valid
    safe_total = torch.where(has_any, total, torch.ones_like(total))
    return shift + torch.log(safe_total), has_any


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
    pos, neg = widen(pos), widen(neg)
    logits = torch.cat([pos[:, None], neg], 1)                    # [B, 1 + K]
    keep = torch.cat([torch.ones_like(valid[:, :1]), valid], 1)   # [B, 1 + K], the positive always
    log_z, _ = masked_logsumexp(logits, keep)                     # [B]
    return (log_z - pos).mean()


def logq_loss(pos: Tensor, neg: Tensor, valid: Tensor, log_q_pos: Tensor, log_q_neg: Tensor) -> Tensor:
    """Yi et al. (RecSys 2019): every logit, the positive's too, becomes s - log Q(item).

    L = -(s_p - log Q(p)) + log(exp(s_p - log Q(p)) + sum_j exp(s_j - log Q(n_j))).
    The positive was not drawn from Q, yet it is corrected as if it had been and stays in the
    denominator: a finite-k bias that `corrected_logq_loss` removes.
    """
    return sampled_softmax_loss(widen(pos) - log_q_pos, widen(neg) - log_q_neg, valid)


def corrected_logq_loss(pos: Tensor, neg: Tensor, valid: Tensor, log_q_cond: Tensor,
                        weight: Tensor | None = None) -> Tensor:
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
    pos, neg = widen(pos), widen(neg)
    log_z, has_neg = masked_logsumexp(neg - log_q_cond, valid)    # [B], log sum_j e^{s_j}/Q'_j
    k = valid.sum(-1).clamp_min(1).to(log_z.dtype)                # [B]
    if weight is None:
        p_hat = torch.sigmoid(pos - (log_z - torch.log(k)))       # [B]
        weight = torch.where(has_neg, 1 - p_hat, torch.zeros_like(p_hat)).detach()
    per_row = torch.where(has_neg, weight * (log_z - pos), torch.zeros_like(pos))
    return per_row.mean()
