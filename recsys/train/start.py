"""The fitted start: item-id rows from the SVD or from EASE's B (and the neighbours of what the
width leaves out), with a hybrid's text path fitted to predict them."""

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from recsys.data import Interactions
from recsys.model import ItemFeatures, TwoTower
from recsys.neighbors import Neighbors
from recsys.train.config import TrainConfig


def svd_item_factors(interactions: Interactions, n_items: int, dim: int, seed: int = 0) -> np.ndarray:
    """[n_items, dim] float32: V S^(1/2) from the reader-item matrix's truncated SVD X ~ U S V^T,
    scaled so rows average unit length; rows of items nobody read are zero.

    With these as item vectors, the mean of a reader's rows scores every item by x_u V S V^T / |x_u|,
    a PureSVD-like ranking (Cremonesi et al., RecSys 2010): co-reading from the first step."""
    from scipy.sparse.linalg import svds

    from recsys.baselines import reader_matrix

    x = reader_matrix(interactions, n_items).astype(np.float64)
    k = min(dim, min(x.shape) - 1)
    factors = np.zeros((n_items, dim), dtype=np.float32)
    if k < 1 or not x.nnz:
        return factors
    _, sigma, vt = svds(x, k=k, random_state=seed)
    factors[:, :k] = vt.T * np.sqrt(sigma)  # weak directions weigh little, null ones (k > rank) nothing
    factors[np.asarray(x.sum(0)).ravel() == 0] = 0.0  # exactly, not to rounding: they score from text
    norms = np.linalg.norm(factors, axis=1)
    return factors / max(norms[norms > 0].mean(), 1e-12) if (norms > 0).any() else factors


EASE_MAX_ITEMS = 20_000  # id_init="ease" factors the most-read this many items (an N^2 inverse)


@dataclass
class EaseStart:
    """EASE's B (Steck, 2019) as the two-tower's start: P Q^T, B truncated to rank dim, and the
    strongest weights of what the width leaves out (or of B), in the units of P Q^T."""

    p: np.ndarray  # [n_items, dim] float32: input rows (a history's)
    q: np.ndarray  # [n_items, dim] float32: output rows (a candidate's)
    lam: float
    neighbors: Neighbors | None = None


def ease_start(
    interactions: Interactions,
    n_items: int,
    dim: int,
    lam: float | None = None,
    seed: int = 0,
    neighbors: int = 0,
    neighbors_of: str = "residual",
    neighbors_signed: bool = False,
) -> EaseStart:
    """P Q^T is EASE's B truncated to rank dim, B ~ U S V^T, P = U S^(1/2) / a, Q = V S^(1/2) / c,
    with c making Q's rows and a P's average unit length (a global scale changes no reader's ranking).

    As input rows (the history's) and output rows (the candidates'), the mean of a reader's input
    rows scores item i by x_u P Q_i / |x_u|, EASE's ranking up to rank dim. B is asymmetric, which
    rows shared by both sides (the SVD start) cannot hold. Only the EASE_MAX_ITEMS most-read items
    are factored; the rest, and items nobody read, get zero rows. With `neighbors` > 0 each item
    also keeps its that many strongest weights of S = B / (a c) - P Q^T ("residual": the mean of a
    history's rows of P Q^T + S is x_u B / (a c |x_u|), EASE's ranking again) or of S = B / (a c)
    ("ease"), the strongest in magnitude where `neighbors_signed`. B is formed once, and the residual
    is written over it in place."""
    from recsys.baselines import ease_lambda, ease_weights, reader_matrix

    x = reader_matrix(interactions, n_items)
    counts = np.asarray(x.sum(0)).ravel()
    kept = np.argsort(-counts, kind="stable")[: min(EASE_MAX_ITEMS, int((counts > 0).sum()))]
    p, q = np.zeros((n_items, dim), dtype=np.float32), np.zeros((n_items, dim), dtype=np.float32)
    if lam is None:
        lam = ease_lambda(interactions, n_items, seed)[0] if len(kept) > 1 else 1.0
    k = min(dim, len(kept))
    if k < 1:
        return EaseStart(p, q, lam)
    b = ease_weights(x, lam, columns=kept)  # [m, m]
    torch.manual_seed(seed)
    u, sigma, v = torch.svd_lowrank(torch.from_numpy(b), q=min(k + 16, len(kept)), niter=4)
    root = sigma[:k].sqrt()
    p_kept, q_kept = (u[:, :k] * root).numpy(), (v[:, :k] * root).numpy()
    p_scale = max(float(np.linalg.norm(p_kept, axis=1).mean()), 1e-12)
    q_scale = max(float(np.linalg.norm(q_kept, axis=1).mean()), 1e-12)
    p_kept, q_kept = p_kept / p_scale, q_kept / q_scale
    p[kept, :k], q[kept, :k] = p_kept, q_kept
    found = None
    if neighbors > 0:
        b *= np.float32(1.0 / (p_scale * q_scale))  # B in the units of P Q^T
        if neighbors_of == "residual":
            for start in range(0, len(kept), 1024):
                b[start : start + 1024] -= p_kept[start : start + 1024] @ q_kept.T
        found = Neighbors.top_k(b, kept, n_items, neighbors, signed=neighbors_signed)
    return EaseStart(p, q, lam, found)


def ease_item_factors(
    interactions: Interactions, n_items: int, dim: int, lam: float | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, float]:
    """(P, Q [n_items, dim] float32, lambda) of `ease_start`: EASE's B truncated to rank dim."""
    start = ease_start(interactions, n_items, dim, lam, seed)
    return start.p, start.q, start.lam


def fit_text_to_rows(model: TwoTower, catalogue: ItemFeatures, read: Tensor, rows: Tensor, alpha: float = 1e-2) -> None:
    """Sets the text path's last layer by ridge regression of the id rows `rows` [N, d] of the
    `read` items [N] (bool) on its hidden features, so that a paper nobody read scores from what its
    text predicts its row to be (a cold start from the rows, as in Gantner et al.'s attribute-to-
    factor mapping), not from zero. alpha: the penalty, relative to the features' mean eigenvalue."""
    text = model.item_tower.text
    hidden = text[1](text[0](catalogue.text[read]))  # [n, h]
    features = torch.cat([hidden, torch.ones(len(hidden), 1, device=hidden.device)], 1)  # with a bias
    gram = features.T @ features
    gram += alpha * gram.diagonal().mean() * torch.eye(len(gram), device=gram.device)
    solution = torch.linalg.solve(gram, features.T @ rows[read])  # [h + 1, d]
    # ridge shrinks: predictions scaled to the read rows' mean length, or an unread paper would
    # always lose to the read ones at its topic (the read rows hold the rest either way)
    scale = rows[read].norm(dim=1).mean() / (features @ solution).norm(dim=1).mean().clamp_min(1e-12)
    text[-1].weight.copy_(solution[:-1].T * scale)
    text[-1].bias.copy_(solution[-1] * scale)


@torch.no_grad()
def start_id_rows(model: TwoTower, config: TrainConfig, interactions: Interactions, catalogue: ItemFeatures) -> dict:
    """Starts the id rows from the SVD or EASE (TrainConfig.id_init) of `interactions`; returns
    what was fitted (EASE's lambda, and the neighbours of `ease_start` in the units of P Q^T). A hybrid's text path is then fitted to predict the (output)
    rows and each read item's rows hold the rest, so at step 0 a read item is exactly its rows and
    an unread one what its text predicts; the event codes start at zero (a constant offset of a
    history's mean would be as long as the mean itself)."""
    n, dim, tower = len(catalogue), model.config.dim, model.item_tower
    fitted = {}
    if config.id_init == "svd":
        factors = torch.as_tensor(svd_item_factors(interactions, n, dim, config.seed))
        start = dict.fromkeys(tower.id_tables(), factors)
    else:
        ease = ease_start(
            interactions,
            n,
            dim,
            config.ease_lambda,
            config.seed,
            config.neighbor_count(n),
            config.neighbors_of,
            config.neighbors_signed,
        )
        fitted["ease_lambda"], fitted["neighbors"] = ease.lam, ease.neighbors
        start = {tower.input_ids: torch.as_tensor(ease.p), tower.ids: torch.as_tensor(ease.q)}
    device = tower.ids.weight.device
    start = {table: rows.to(device) for table, rows in start.items()}
    if tower.text is not None:
        positive = interactions.items[interactions.positive]
        read = torch.as_tensor(np.bincount(positive, minlength=n) > 0, device=device)
        fit_text_to_rows(model, catalogue, read, start[tower.ids])
        predicted = tower.text(catalogue.text[read])
        for rows in start.values():
            rows[read] -= predicted  # (the SVD start shares one tensor between both tables: once)
            rows[~read] = 0.0
        nn.init.zeros_(model.user_tower.event.weight)
    for table, rows in start.items():
        table.weight[:n] = rows
    return fitted


@torch.no_grad()
def refit_start(
    model: TwoTower,
    config: TrainConfig,
    interactions: Interactions,
    catalogue: ItemFeatures,
    fitted: dict,
    chosen: dict,
) -> Neighbors | None:
    """Fits the start again, on `interactions` (every reader: the validation readers' libraries too),
    with what the validation readers chose on the training readers' start: EASE's lambda (`fitted`,
    from `start_id_rows`) and how many of each paper's neighbours, which part and at what weight and
    scale (`chosen`, from neighbor_choice.choose_neighbors; neighbors_k 0: none). Returns the neighbours to
    serve. For when the start is what is served (no epoch beat it): the validation readers are ~5%
    of the data it is fitted from (full CiteULike-a: 0.3324 -> 0.3396 recall@20, docs/benchmarks.md)."""
    config = dataclasses.replace(config, ease_lambda=fitted.get("ease_lambda", config.ease_lambda))
    found = start_id_rows(model, config, interactions, catalogue).get("neighbors")
    if found is None or not chosen.get("neighbors_k"):
        return None
    part = found if chosen["neighbors_signed"] else found.positive()
    return part.strongest(chosen["neighbors_k"], chosen["neighbors_weight"] * chosen["neighbors_scale"])
