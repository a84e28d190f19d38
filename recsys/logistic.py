"""Many small L2-regularised logistic regressions at once: the per-reader baseline's solver.

scikit-learn fits one reader at a time (~20 ms each on a 2-core CPU, minutes for thousands of readers
and seeds); Newton's method with conjugate-gradient steps reaches the same optimum for a whole
batch of readers in a few matrix products, ~1.5 ms per reader. tests/recsys/test_baselines.py checks
it against scikit-learn.
"""

import torch
import torch.nn.functional as F


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

    features [M, D]: the items; positive, negative [R, M]: each reader's sample weight on an item as
    a positive or a negative example (0: not in the reader's training set). Reader r's objective is
        0.5 |w|^2 + sum_j positive_rj logloss(1, z_rj) + negative_rj logloss(0, z_rj),  z_r = features w + b,
    with the intercept b unpenalised: scikit-learn's LogisticRegression with C folded into the weights.
    Returns theta [R, D + 1] = (w, b), stopped when every reader's gradient norm is below tol.
    The Hessian is never formed: building [R, D + 1, D + 1] costs n D^2 per reader and step (n: its
    sample count), which on a CPU made batched Newton no faster than scikit-learn; conjugate gradient
    needs only Hessian-vector products, two [R, M] x [M, D] matrix products each.
    """
    # Centring changes nothing but the intercept (it is free), and keeps the intercept from being
    # nearly collinear with the embeddings' common direction, which would slow conjugate gradient.
    mean = features.mean(0)  # [D]
    x = torch.cat([features - mean, features.new_ones(len(features), 1)], 1)  # [M, D + 1]
    penalty = x.new_ones(x.shape[1])
    penalty[-1] = 0.0  # the intercept is free

    def objective(theta):  # [R, D + 1] -> [R]
        z = theta @ x.T  # [R, M]
        loss = positive * F.softplus(-z) + negative * F.softplus(z)
        return loss.sum(1) + 0.5 * (penalty * theta**2).sum(1)

    theta = x.new_zeros(len(positive), x.shape[1])  # [R, D + 1]
    value = objective(theta)  # [R]
    for _ in range(max_iter):
        p = torch.sigmoid(theta @ x.T)  # [R, M]
        grad = (positive * (p - 1) + negative * p) @ x + penalty * theta  # [R, D + 1]
        norm = grad.norm(dim=1, keepdim=True)  # [R, 1]
        if norm.max() < tol:
            break
        curvature = (positive + negative) * p * (1 - p)  # [R, M]
        # an inexact Newton step (residual 10% of the gradient) is enough far from the optimum and
        # still converges fast; readers already converged take no step
        step = conjugate_gradient(
            lambda v, curvature=curvature: (curvature * (v @ x.T)) @ x + penalty * v,
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
    theta[:, -1] -= theta[:, :-1] @ mean  # undo the centring
    return theta
