"""Many small L2-regularised logistic regressions at once: the per-reader baseline's solver.

scikit-learn fits one reader at a time (~20 ms each on a 2-core CPU, minutes for thousands of readers
and seeds); Newton's method with conjugate-gradient steps reaches the same optimum for a whole
batch of readers in a few batched matrix products. tests/recsys/test_baselines.py checks
it against scikit-learn.
"""

from contextlib import contextmanager

import torch
import torch.nn.functional as F


@contextmanager
def one_thread():
    """torch on one thread inside: the solver's products are small ([R, n, D] with n ~500), and two
    threads handing each of thousands of them over cost more than they share (full CiteULike-a:
    ~130 CPU-s a seed on two threads, ~40 on one, and several times the wall time on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def conjugate_gradient(matvec, rhs: torch.Tensor, target: torch.Tensor, max_iter: int = 100) -> torch.Tensor:
    """Solves matvec(s) = rhs row by row (rhs [R, K], matvec symmetric positive definite per row).

    A row stops once its residual norm is at most target [R, 1]; the others go on.
    """
    solution, residual, direction = torch.zeros_like(rhs), rhs.clone(), rhs.clone()  # [R, K]
    squared = (residual**2).sum(1, keepdim=True)  # [R, 1]
    for _ in range(max_iter):
        active = squared.sqrt() > target  # [R, 1]
        if not active.any():
            break
        product = matvec(direction)  # [R, K]
        alpha = torch.where(active, squared / (direction * product).sum(1, keepdim=True), 0.0)
        solution += alpha * direction
        residual -= alpha * product
        new_squared = (residual**2).sum(1, keepdim=True)
        direction = residual + torch.where(active, new_squared / squared, 0.0) * direction
        squared = new_squared
    return solution


def logistic_regressions(
    features: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, tol: float = 1e-6, max_iter: int = 50
) -> torch.Tensor:
    """R L2-regularised logistic regressions at once, by Newton's method with conjugate-gradient steps.

    features [R, n, D]: each reader's own samples (padded to n); positive, negative [R, n]: each
    sample's weight as a positive or a negative example (0 for both: padding). Reader r's objective is
        0.5 |w|^2 + sum_j positive_rj logloss(1, z_rj) + negative_rj logloss(0, z_rj),  z_r = features_r w + b,
    with the intercept b unpenalised: scikit-learn's LogisticRegression with C folded into the weights.
    Returns theta [R, D + 1] = (w, b), stopped when every reader's gradient norm is below tol.
    The Hessian is never formed: building [R, D + 1, D + 1] costs n D^2 per reader and step, which
    on a CPU made batched Newton no faster than scikit-learn; conjugate gradient needs only
    Hessian-vector products, two batched [n, D] matrix-vector products per reader. Each reader
    touches only its own n samples: a catalogue shared by all readers of a batch (most of it
    weight 0 for any one reader) cost 30x more at 17,000 items.
    """
    # Centring (per reader, on its own samples) changes nothing but the intercept (it is free), and
    # keeps the intercept from being nearly collinear with the embeddings' common direction, which
    # would slow conjugate gradient.
    used = ((positive > 0) | (negative > 0)).to(features.dtype)  # [R, n]
    mean = (used[:, :, None] * features).sum(1) / used.sum(1, keepdim=True).clamp_min(1.0)  # [R, D]
    x = torch.cat([features - mean[:, None, :], features.new_ones(*features.shape[:2], 1)], 2)  # [R, n, D + 1]
    penalty = x.new_ones(x.shape[2])
    penalty[-1] = 0.0  # the intercept is free

    def margins(theta):  # [R, D + 1] -> [R, n]
        return torch.bmm(x, theta[:, :, None])[:, :, 0]

    def back(weights):  # [R, n] -> [R, D + 1]: sum_j weights_rj x_rj
        return torch.bmm(weights[:, None, :], x)[:, 0, :]

    def objective(theta):  # [R, D + 1] -> [R]
        z = margins(theta)
        loss = positive * F.softplus(-z) + negative * F.softplus(z)
        return loss.sum(1) + 0.5 * (penalty * theta**2).sum(1)

    theta = x.new_zeros(len(positive), x.shape[2])  # [R, D + 1]
    value = objective(theta)  # [R]
    for _ in range(max_iter):
        p = torch.sigmoid(margins(theta))  # [R, n]
        grad = back(positive * (p - 1) + negative * p) + penalty * theta  # [R, D + 1]
        norm = grad.norm(dim=1, keepdim=True)  # [R, 1]
        if norm.max() < tol:
            break
        curvature = (positive + negative) * p * (1 - p)  # [R, n]
        # an inexact Newton step (residual 10% of the gradient) is enough far from the optimum and
        # still converges fast; readers already converged take no step
        step = conjugate_gradient(
            lambda v, curvature=curvature: back(curvature * margins(v)) + penalty * v,
            grad,
            torch.where(norm < tol, torch.inf, 0.1 * norm),
        )
        # step halving, per reader: a full Newton step can overshoot far from the optimum
        scale = x.new_ones(len(theta), 1)
        for _ in range(30):
            new_value = objective(theta - scale * step)
            worse = new_value > value + 1e-12 * value.abs()  # slack for rounding near the optimum
            if not worse.any():
                break
            scale[worse] /= 2
        theta, value = theta - scale * step, torch.minimum(new_value, value)
    theta[:, -1] -= (theta[:, :-1] * mean).sum(1)  # undo the centring
    return theta
