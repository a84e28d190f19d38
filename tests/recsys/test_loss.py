"""Each loss against values worked out by hand, gradient checks, masking, and bias as k grows."""

import math

import pytest
import torch

from recsys.loss import corrected_logq_loss, full_softmax_loss, logq_loss, masked_logsumexp, sampled_softmax_loss
from recsys.sampling import CountMinFrequency, ExactFrequency, mixed_proposal

f64 = torch.float64


def t(*values):
    return torch.tensor(values, dtype=f64)


def test_full_softmax_by_hand():
    # scores (1, 2, 0), positive index 1: L = -2 + log(e + e^2 + 1)
    loss = full_softmax_loss(t(1.0, 2.0, 0.0)[None], torch.tensor([1]))
    assert loss.item() == pytest.approx(-2 + math.log(math.e + math.e**2 + 1), abs=1e-12)


def test_sampled_softmax_by_hand_and_masking():
    # s_p = 1, negatives (0, 3, 2) with the middle one an accidental hit: L = -1 + log(e + 1 + e^2)
    pos, neg, valid = t(1.0), t(0.0, 3.0, 2.0)[None], torch.tensor([[True, False, True]])
    expected = -1 + math.log(math.e + 1 + math.e**2)
    assert sampled_softmax_loss(pos, neg, valid).item() == pytest.approx(expected, abs=1e-12)
    # the masked score does not matter at all
    assert sampled_softmax_loss(pos, t(0.0, 50.0, 2.0)[None], valid).item() == pytest.approx(expected, abs=1e-12)


def test_logq_by_hand():
    # s_p = 1, Q(p) = 0.5; negatives s = (0, 2), Q = (0.25, 0.125)
    # L = -(1 - log .5) + log(e^{1 - log .5} + e^{0 - log .25} + e^{2 - log .125}) = -(1 + log 2) + log(2e + 4 + 8e^2)
    loss = logq_loss(
        t(1.0), t(0.0, 2.0)[None], torch.tensor([[True, True]]), torch.log(t(0.5)), torch.log(t(0.25, 0.125))[None]
    )
    assert loss.item() == pytest.approx(-(1 + math.log(2)) + math.log(2 * math.e + 4 + 8 * math.e**2), abs=1e-12)


def test_corrected_logq_by_hand():
    # s_p = 1; negatives s = (0, 2) with Q' = (0.5, 0.25), k = 2.
    # sum_j e^{s_j}/Q'_j = 2 + 4e^2;  loss core = log(2 + 4e^2) - 1
    # p_hat = e / (e + (2 + 4e^2)/2) = e / (e + 1 + 2e^2);  L = (1 - p_hat) * core
    loss = corrected_logq_loss(t(1.0), t(0.0, 2.0)[None], torch.tensor([[True, True]]), torch.log(t(0.5, 0.25))[None])
    p_hat = math.e / (math.e + 1 + 2 * math.e**2)
    assert loss.item() == pytest.approx((1 - p_hat) * (math.log(2 + 4 * math.e**2) - 1), abs=1e-12)


def test_corrected_logq_gradient_is_weighted_and_positive_free():
    # dL/ds_p = -w and dL/ds_j = w * softmax_j(s - log Q'), with w = 1 - p_hat held fixed
    pos = t(0.3).requires_grad_()
    neg = t(0.1, -0.4, 1.2)[None].requires_grad_()
    log_q = torch.log(t(0.2, 0.3, 0.5))[None]
    valid = torch.tensor([[True, True, True]])
    corrected_logq_loss(pos, neg, valid, log_q).backward()
    log_z = torch.logsumexp(neg.detach() - log_q, 1)
    w = 1 - torch.sigmoid(pos.detach() - (log_z - math.log(3)))
    assert torch.allclose(pos.grad, -w)
    assert torch.allclose(neg.grad, w * torch.softmax(neg.detach() - log_q, 1))


def test_gradcheck_all_losses():
    g = torch.Generator().manual_seed(0)
    pos = torch.randn(4, dtype=f64, generator=g, requires_grad=True)
    neg = torch.randn(4, 5, dtype=f64, generator=g, requires_grad=True)
    valid = torch.rand(4, 5, generator=g) > 0.3
    valid[0] = False  # a row with no valid negative must not break the gradient
    log_q = torch.log(torch.rand(4, 5, dtype=f64, generator=g) + 0.1)
    logits = torch.randn(4, 7, dtype=f64, generator=g, requires_grad=True)
    weight = torch.rand(4, dtype=f64, generator=g)  # w is a constant in the gradient by design
    assert torch.autograd.gradcheck(lambda x: full_softmax_loss(x, torch.tensor([0, 3, 6, 2])), (logits,))
    assert torch.autograd.gradcheck(lambda p, n: sampled_softmax_loss(p, n, valid), (pos, neg))
    assert torch.autograd.gradcheck(lambda p, n: logq_loss(p, n, valid, log_q[:, 0], log_q), (pos, neg))
    assert torch.autograd.gradcheck(lambda p, n: corrected_logq_loss(p, n, valid, log_q, weight), (pos, neg))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32])
def test_all_masked_row_is_finite_and_contributes_nothing(dtype):
    pos = torch.tensor([2.0, 0.5], dtype=dtype, requires_grad=True)
    neg = torch.tensor([[1.0, 3.0], [0.0, 1.0]], dtype=dtype, requires_grad=True)
    valid = torch.tensor([[False, False], [True, True]])
    log_q = torch.zeros(2, 2)
    loss = corrected_logq_loss(pos, neg, valid, log_q)
    loss.backward()
    assert loss.dtype == torch.float32  # computed wide even from half-precision scores
    assert torch.isfinite(loss) and torch.isfinite(pos.grad).all() and torch.isfinite(neg.grad).all()
    assert pos.grad[0] == 0 and (neg.grad[0] == 0).all()
    only_second = corrected_logq_loss(pos[1:].detach(), neg[1:].detach(), valid[1:], log_q[1:])
    assert loss.item() == pytest.approx(only_second.item() / 2, rel=1e-2)
    for other in (sampled_softmax_loss(pos, neg, valid), logq_loss(pos, neg, valid, log_q[:, 0], log_q)):
        assert torch.isfinite(other)


def test_in_batch_proposal_is_conditioned_on_the_positive():
    # batch of 3 rows with positives (a, b, a); q(a) = 0.5, q(b) = 0.25, N = 10
    q_pos = t(0.5, 0.25, 0.5)
    cand = torch.tensor([0, 1, 0])  # item ids of the candidates (the batch's own positives)
    valid = cand[None, :] != cand[:, None]
    p = mixed_proposal(q_pos, q_pos, torch.ones(3, dtype=torch.bool), valid, 10)
    # row 0 (positive a): candidate b has Q(b | != a) = 0.25 / (1 - 0.5) = 0.5
    assert p.log_q_cond[0, 1].exp().item() == pytest.approx(0.5)
    # row 1 (positive b): candidate a has Q(a | != b) = 0.5 / 0.75
    assert p.log_q_cond[1, 0].exp().item() == pytest.approx(2 / 3)
    assert torch.allclose(p.log_q_neg[0].exp(), q_pos)  # Yi et al.: unconditional q


def test_mixed_proposal_is_the_mixture():
    # row positive p with q(p) = 0.2; candidates: 2 batch slots (q = 0.2 [= p, masked], 0.4) + 2 uniform, N = 5
    q_pos = t(0.2)
    q_cand = t(0.2, 0.4, 0.2, 0.2)
    from_batch = torch.tensor([True, True, False, False])
    valid = torch.tensor([[False, True, True, True]])
    p = mixed_proposal(q_pos, q_cand, from_batch, valid, 5)
    # valid: 1 batch draw, 2 uniform draws. Q' = (1 * 0.4/0.8 + 2 * 1/4) / 3 for the batch item
    assert p.log_q_cond[0, 1].exp().item() == pytest.approx((0.5 + 0.5) / 3)
    assert p.log_q_cond[0, 2].exp().item() == pytest.approx((0.2 / 0.8 + 0.5) / 3)
    # unconditional: (2 q + 2/5) / 4
    assert p.log_q_neg[0, 1].exp().item() == pytest.approx((0.8 + 0.4) / 4)


def test_frequency_estimators_agree_on_a_stream():
    g = torch.Generator().manual_seed(0)
    stream = torch.multinomial(1.0 / torch.arange(1, 201).double(), 20000, replacement=True, generator=g)
    exact = ExactFrequency(torch.bincount(stream, minlength=200))
    sketch = CountMinFrequency(width=4096, depth=4)
    for batch in stream.split(1000):
        sketch.update(batch)
    items = torch.arange(200)
    assert (sketch.q(items) >= exact.q(items) - 1e-7).all()  # count-min never underestimates
    assert torch.allclose(sketch.q(items[:20]), exact.q(items[:20]), rtol=0.05)


def test_fused_masked_logsumexp_matches_the_plain_composition():
    g = torch.Generator().manual_seed(1)
    x = (10 * torch.randn(64, 300, generator=g)).requires_grad_()
    offset = torch.randn(64, 300, generator=g)
    valid = torch.rand(64, 300, generator=g) > 0.2
    valid[3] = False
    log_z, count = masked_logsumexp(x, valid, offset)
    (log_z * torch.linspace(0, 1, 64)).sum().backward()
    reference_x = x.detach().clone().requires_grad_()
    reference = torch.logsumexp((reference_x - offset).masked_fill(~valid, float("-inf")), 1)
    reference = torch.where(valid.any(1), reference, torch.zeros(()))
    (reference * torch.linspace(0, 1, 64)).sum().backward()
    assert torch.equal(count, valid.sum(1).int())
    torch.testing.assert_close(log_z, reference)
    torch.testing.assert_close(x.grad, reference_x.grad.nan_to_num())
