"""Synthetic unit vectors for the ANN benchmark, and the statistics that say whether they look real.

Two generators:

    isotropic_topics(rng, n, topics)   every vector at cosine ~0.75 to one of `topics` random directions,
                                       isotropic noise around it: structureless inside a topic (pessimistic)
    PaperMixture.fit(real).sample(rng, n)
                                       a Gaussian mixture (full covariances) fitted to real paper
                                       embeddings, sampled and normalised: their topics, their spread
                                       between topics, and the shape (anisotropy) of each topic

and the check printed beside every run, on real and synthetic sets of the same size:

    neighbour_stats(vectors, k)   median cosine to the 1st and k-th nearest neighbour, mean pairwise
                                  cosine, and the local intrinsic dimension (Levina & Bickel's MLE over
                                  the k nearest neighbours, averaged over points):

        LID(x) = -( 1/(k-1) * sum_{j<k} log(d_j(x) / d_k(x)) )^-1,   d_j: Euclidean distance to the j-th NN

LID is the statistic that predicts how hard a point is for a graph index (Aumüller & Ceccarello,
"The role of local intrinsic dimensionality in benchmarking nearest neighbor search", 2019): uniformly
random vectors in 384 dims have LID in the hundreds, text embeddings in the tens.
"""

from dataclasses import dataclass

import numpy as np


def normalise(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def isotropic_topics(rng: np.random.Generator, n: int, centres: np.ndarray, noise: float = 0.045) -> np.ndarray:
    """[n, d] unit vectors, each a random centre plus N(0, noise^2 I): cosine ~0.75 to it at d = 384."""
    scatter = noise * rng.standard_normal((n, centres.shape[1]), dtype=np.float32)
    return normalise(centres[rng.integers(len(centres), size=n)] + scatter)


@dataclass
class PaperMixture:
    """A Gaussian mixture over embeddings: weights [K], means [K, d], Cholesky factors [K, d, d]."""

    weights: np.ndarray
    means: np.ndarray
    cholesky: np.ndarray

    @classmethod
    def fit(cls, real: np.ndarray, components: int = 30, seed: int = 0) -> "PaperMixture":
        """EM on the real vectors [n, d]. A component holds ~n/K papers, fewer than d, so its covariance
        is low-rank plus sklearn's reg_covar ridge: the ridge is the only isotropic noise it adds."""
        from sklearn.mixture import GaussianMixture

        gmm = GaussianMixture(components, covariance_type="full", reg_covar=1e-4, max_iter=50, random_state=seed)
        gmm.fit(real.astype(np.float64))
        return cls(gmm.weights_, gmm.means_, np.linalg.cholesky(gmm.covariances_))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """[n, d] unit vectors: a component by weight, then mean + L z, normalised (as the encoder does)."""
        component = rng.choice(len(self.weights), size=n, p=self.weights / self.weights.sum())
        vectors = rng.standard_normal((n, self.means.shape[1]))
        for c in np.unique(component):
            rows = component == c
            vectors[rows] = self.means[c] + vectors[rows] @ self.cholesky[c].T
        return normalise(vectors)


def lid_mle(distances: np.ndarray) -> np.ndarray:
    """Levina-Bickel LID per row of [n, k] ascending distances to the k nearest neighbours (self excluded)."""
    distances = np.maximum(distances, 1e-12)
    return 1.0 / np.mean(np.log(distances[:, -1:] / distances[:, :-1]), axis=1)


def cosine_to_distance(cosines: np.ndarray) -> np.ndarray:
    """Euclidean distance between unit vectors at these cosines."""
    return np.sqrt(np.maximum(2.0 - 2.0 * cosines, 0.0))


def neighbour_stats(vectors: np.ndarray, k: int = 20) -> dict[str, float]:
    """Median cos to the 1st and k-th NN, mean pairwise cos, mean LID, over one set of unit vectors
    (all pairs in memory: for sets of a few thousand)."""
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = -np.sort(-similarity, axis=1)[:, :k]  # [n, k] cosines, descending
    n = len(vectors)
    return {
        "n": n,
        "cos_1nn": float(np.median(nearest[:, 0])),
        f"cos_{k}nn": float(np.median(nearest[:, -1])),
        "mean_cos": float((similarity[np.isfinite(similarity)]).mean()),
        "lid": float(np.mean(lid_mle(cosine_to_distance(nearest)))),
    }


def format_stats(name: str, stats: dict[str, float]) -> str:
    values = ", ".join(f"{key} {value:.3f}" if key != "n" else f"n {value:,}" for key, value in stats.items())
    return f"{name}: {values}"
