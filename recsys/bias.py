"""How far each sampled loss's expected gradient is from the full softmax's, as k grows.

A small catalogue with fixed scores s, a Zipf proposal Q (popularity, unrelated to s) and a fixed
positive p. The full-softmax gradient with respect to s is softmax(s) - onehot(p). For each k,
`draws` independent rows each sample k negatives from Q (accidental hits masked); the mean of
their gradients estimates the loss's expected gradient, and the error is
    || E[grad] - grad_full || / || grad_full ||.
Corrected logQ is a self-normalised importance-sampling estimate: its error is O(1/k) and goes
to 0. Uncorrected in-batch softmax converges to the softmax of s + log Q instead: its error stays.
"""

import torch

from recsys.loss import corrected_logq_loss, logq_loss, sampled_softmax_loss

METHODS = ("in_batch", "logq", "corrected_logq")


def gradient_error(k: int, method: str, n_items: int = 100, draws: int = 20000, seed: int = 0) -> float:
    g = torch.Generator().manual_seed(seed)
    scores = (2.0 * torch.randn(n_items, generator=g, dtype=torch.float64)).requires_grad_()
    q = 1.0 / torch.arange(1, n_items + 1, dtype=torch.float64)
    q = (q / q.sum())[torch.randperm(n_items, generator=g)]
    p = int(torch.argsort(q)[n_items // 2])  # a mid-popularity positive
    full = torch.softmax(scores.detach(), 0) - torch.nn.functional.one_hot(torch.tensor(p), n_items)

    negatives = torch.multinomial(q, draws * k, replacement=True, generator=g).view(draws, k)  # [R, k]
    valid = negatives != p
    pos, neg = scores[p].expand(draws), scores[negatives]  # [R], [R, k]
    if method == "in_batch":
        loss = sampled_softmax_loss(pos, neg, valid)
    elif method == "logq":
        loss = logq_loss(pos, neg, valid, torch.log(q[p]).expand(draws), torch.log(q[negatives]))
    else:
        loss = corrected_logq_loss(pos, neg, valid, torch.log(q[negatives]) - torch.log1p(-q[p]))
    (estimate,) = torch.autograd.grad(loss, scores)  # mean over rows = E[grad]
    return float((estimate - full).norm() / full.norm())
