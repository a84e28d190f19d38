"""bench/vectors.py: the ANN benchmark's generators and the neighbour statistics that check them."""

import numpy as np

from bench.vectors import PaperMixture, isotropic_topics, lid_mle, neighbour_stats, normalise


def sphere_in(rng, n: int, subspace: int, dims: int = 384) -> np.ndarray:
    """n uniform points on the unit sphere of a `subspace`-dim subspace of R^dims (intrinsic dim subspace-1)."""
    basis, _ = np.linalg.qr(rng.standard_normal((dims, subspace)))
    return normalise(rng.standard_normal((n, subspace)) @ basis.T)


def test_lid_of_distances_growing_as_a_power_law_is_the_power():
    # In m dims the j-th of k neighbours lies at distance ~ (j/k)^(1/m) of the k-th: the MLE reads m back.
    k, m = 20, 7.0
    distances = np.tile((np.arange(1, k + 1) / k) ** (1 / m), (3, 1))
    assert np.all(np.abs(lid_mle(distances) - m) < 0.2 * m)


def test_lid_tells_a_low_dimensional_set_from_a_high_dimensional_one():
    rng = np.random.default_rng(0)
    low = neighbour_stats(sphere_in(rng, 2000, 6))["lid"]  # a 5-sphere
    high = neighbour_stats(sphere_in(rng, 2000, 384))["lid"]
    assert 3.5 < low < 7.0
    assert high > 40


def test_neighbour_stats_on_a_known_set():
    # Four unit vectors: two pairs at cosine 0.8 within, orthogonal between.
    a, b = np.eye(4)[0], np.eye(4)[1]
    pairs = normalise(np.array([a, 0.8 * a + 0.6 * np.eye(4)[2], b, 0.8 * b + 0.6 * np.eye(4)[3]]))
    stats = neighbour_stats(pairs, k=2)
    assert stats["n"] == 4
    assert np.isclose(stats["cos_1nn"], 0.8)
    assert np.isclose(stats["cos_2nn"], 0.0)
    assert np.isclose(stats["mean_cos"], 0.8 * 4 / 12)


def test_isotropic_topics_sit_at_cosine_three_quarters_to_their_centre():
    rng = np.random.default_rng(1)
    centres = normalise(rng.standard_normal((3, 384)))
    vectors = isotropic_topics(rng, 300, centres)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    to_centre = (vectors @ centres.T).max(axis=1)
    assert abs(to_centre.mean() - 0.75) < 0.01
    assert np.all(np.abs(to_centre - 0.75) < 0.1)


def test_mixture_fitted_to_clustered_vectors_reproduces_their_neighbour_statistics():
    # "Real" vectors: 8 topics, each spread along its own 10 directions (anisotropic, low-dimensional).
    rng = np.random.default_rng(2)
    topics = normalise(rng.standard_normal((8, 384)))
    directions = rng.standard_normal((8, 10, 384)) * 0.04
    topic = rng.integers(8, size=1600)
    real = normalise(topics[topic] + np.einsum("nj,njd->nd", rng.standard_normal((1600, 10)), directions[topic]))

    mixture = PaperMixture.fit(real, components=8)
    synthetic = mixture.sample(np.random.default_rng(3), 1600)

    assert synthetic.shape == (1600, 384)
    assert np.allclose(np.linalg.norm(synthetic, axis=1), 1, atol=1e-5)
    observed, generated = neighbour_stats(real), neighbour_stats(synthetic)
    for key in ("cos_1nn", "cos_20nn", "mean_cos"):
        assert abs(observed[key] - generated[key]) < 0.05, key
    assert abs(observed["lid"] - generated["lid"]) < 0.25 * observed["lid"]
    # ... and it is not the isotropic generator: noise around the same topics has a far higher LID.
    isotropic = neighbour_stats(isotropic_topics(rng, 1600, topics, noise=0.013))
    assert isotropic["lid"] > 2 * observed["lid"]
