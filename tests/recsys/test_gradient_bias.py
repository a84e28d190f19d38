"""The corrected loss's expected gradient approaches the full softmax's as k grows; the
uncorrected in-batch one's does not (curves: bench/logq_bias.py, docs/benchmarks.md)."""

from recsys.bias import gradient_error

KS = (4, 64, 1024)


def curve(method):
    return [gradient_error(k, method, draws=5000) for k in KS]


def test_corrected_logq_gradient_error_shrinks_toward_zero():
    corrected = curve("corrected_logq")
    assert corrected[0] > corrected[1] > corrected[2]
    assert corrected[2] < 0.03


def test_uncorrected_gradient_error_does_not_vanish():
    uncorrected = curve("in_batch")
    assert uncorrected[2] > 0.2
    assert uncorrected[2] > 0.5 * uncorrected[0]


def test_corrected_beats_yi_logq_at_small_k():
    assert gradient_error(4, "corrected_logq", draws=5000) < gradient_error(4, "logq", draws=5000)
