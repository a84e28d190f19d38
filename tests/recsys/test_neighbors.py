import dataclasses
import itertools

import numpy as np
import torch

from recsys.checkpoint import load_checkpoint, save_checkpoint
from recsys.data import EVENT_CODE, Interactions, ItemTable
from recsys.evaluate import fit_two_tower
from recsys.model import History, ItemFeatures, ModelConfig, TwoTower
from recsys.neighbors import Neighbors, library_histories, library_means
from recsys.splits import Split
from recsys.train import TrainConfig, train

# an item-item matrix over catalogue rows 1, 2 and 4 of a 5-item catalogue
S = np.array([[0.0, 0.5, -0.2], [0.3, 0.0, 0.9], [0.1, 0.4, 0.0]], dtype=np.float32)
KEPT = np.array([1, 2, 4])


def test_top_k_keeps_each_rows_largest_positive_weights_on_catalogue_rows():
    neighbors = Neighbors.top_k(S, KEPT, n_items=5, k=2)
    rows, weights = neighbors.dense()
    # row 1's second largest weight is its own diagonal, 0: not positive, so padded
    assert set(zip(rows[1].tolist(), weights[1].tolist())) == {(2, 0.5), (-1, 0.0)}
    assert set(zip(rows[2].tolist(), np.round(weights[2].astype(float), 3).tolist())) == {(4, 0.9), (1, 0.3)}
    assert rows[0].tolist() == [-1, -1] and rows[3].tolist() == [-1, -1]
    # held sparsely: the five neighbours only, however many items the catalogue has
    assert neighbors.lengths().tolist() == [0, 1, 2, 0, 2] and len(neighbors.indices) == len(neighbors.data) == 5
    assert neighbors.k == 2 and neighbors.n_items == 5


def test_signed_top_k_keeps_the_strongest_in_magnitude_and_its_positive_part_drops_the_negatives():
    neighbors = Neighbors.top_k(S, KEPT, n_items=5, k=2, signed=True)
    # row 1: 0.5 then -0.2 (its diagonal, 0, is never a neighbour); row 4: 0.4 then 0.1
    rows, weights = neighbors.dense()
    assert rows[1].tolist() == [2, 4] and neighbors.signed
    np.testing.assert_allclose(weights[1], [0.5, -0.2], rtol=1e-6)
    positive = neighbors.positive()
    positive_rows, _ = positive.dense()
    assert positive_rows[1].tolist() == [2, -1] and not positive.signed
    assert positive_rows[4].tolist() == rows[4].tolist() == [2, 1]
    # a negative neighbour lowers a paper but never makes it a candidate
    assert neighbors.scores(np.array([1]), np.array([4]))[0] == np.float32(-0.2)
    assert neighbors.candidates(np.array([1])).tolist() == [2]


def test_scores_are_the_histories_mean_weight_to_each_candidate():
    neighbors = Neighbors.top_k(S, KEPT, n_items=5, k=2)
    # history: rows 2 and 4 and an unknown paper; candidates: 4, 1, unknown, 2
    scores = neighbors.scores(np.array([2, 4, -1]), np.array([4, 1, -1, 2]))
    np.testing.assert_allclose(scores, [0.9 / 3, (0.3 + 0.1) / 3, 0.0, 0.4 / 3], rtol=1e-6)
    assert neighbors.scores(np.array([-1]), np.array([1, 2])).tolist() == [0.0, 0.0]
    assert neighbors.scores(np.array([], dtype=int), np.array([1])).tolist() == [0.0]
    assert neighbors.scores(np.array([7, 1]), np.array([2])).tolist() == [
        np.float32(0.5) / 2
    ]  # 7: not in the catalogue


def test_candidates_are_the_historys_distinct_neighbours():
    neighbors = Neighbors.top_k(S, KEPT, n_items=5, k=2)
    assert neighbors.candidates(np.array([2, 4, 4, -1])).tolist() == [1, 2, 4]
    assert neighbors.candidates(np.array([0, 3, -1])).tolist() == []


def test_candidate_scores_are_scores_of_the_candidates():
    rng = np.random.default_rng(0)
    s = rng.random((40, 40)).astype(np.float32) - 0.5
    kept = rng.permutation(2000)[:40]
    short = np.append(rng.choice(kept, 12), -1)  # ~80 neighbours: sorted
    long = np.append(rng.choice(kept, 400), [-1, 5000])  # ~2,800 of 2,000 items: counted over the catalogue
    for signed, history in itertools.product((False, True), (short, long, np.array([-1, -1]), np.array([], int))):
        neighbors = Neighbors.top_k(s, kept, n_items=2000, k=7, signed=signed)
        rows, scores = neighbors.candidate_scores(history)
        if signed:  # also the rows only negative weights lower
            assert set(neighbors.candidates(history).tolist()) <= set(rows.tolist()) and (scores < 0).any() == (
                len(rows) > 0
            )
        else:
            assert rows.tolist() == neighbors.candidates(history).tolist()
        assert np.array_equal(scores, neighbors.scores(history, rows))  # the same floats
        everyone = neighbors.scores(history, np.arange(2000))
        assert np.all(everyone[np.setdiff1d(np.arange(2000), rows)] == 0)  # no part of the score is left out
        np.testing.assert_allclose(everyone[rows], scores)


def test_neighbours_survive_a_checkpoint(tmp_path):
    neighbors = Neighbors.top_k(S, KEPT, n_items=5, k=2)
    model = TwoTower(ModelConfig(dim=8, text_dim=4, hidden=8))
    save_checkpoint(tmp_path / "m.pt", model, {"neighbors": neighbors.to_extra()})
    _, extra = load_checkpoint(tmp_path / "m.pt")
    loaded = Neighbors.from_extra(extra["neighbors"])
    assert all(np.array_equal(a, b) for a, b in zip(loaded.dense(), neighbors.dense())) and loaded.k == 2
    assert Neighbors.from_extra(None) is None
    assert torch.is_tensor(extra["neighbors"]["indices"])


def test_a_checkpoint_with_the_dense_layout_still_loads(tmp_path):
    """Checkpoints written before the sparse layout hold [n_items, k] rows (-1 pads) and weights."""
    rows = np.array([[-1, -1, -1], [2, -1, -1], [4, 1, -1], [-1, -1, -1], [2, 1, 0]], dtype=np.int32)
    weights = np.where(rows >= 0, np.float32(0.5) / (1 + np.arange(3)), 0).astype(np.float32)
    model = TwoTower(ModelConfig(dim=8, text_dim=4, hidden=8))
    save_checkpoint(
        tmp_path / "old.pt",
        model,
        {"neighbors": {"rows": torch.from_numpy(rows), "weights": torch.from_numpy(weights)}},
    )
    loaded = Neighbors.from_extra(load_checkpoint(tmp_path / "old.pt")[1]["neighbors"])
    assert loaded.k == 3 and loaded.lengths().tolist() == [0, 1, 2, 0, 3]
    assert np.array_equal(loaded.dense()[0], rows) and np.array_equal(loaded.dense()[1], weights)
    np.testing.assert_allclose(loaded.scores(np.array([4, 2]), np.array([0, 1, 2])), [0.5 / 6, (0.25 + 0.25) / 2, 0.25])


def test_top_k_ranks_each_items_neighbours_strongest_first_and_strongest_cuts_them():
    s = np.array([[0.0, 0.1, 0.7, 0.4], [0.2, 0.0, 0.3, 0.9], [0.5, 0.6, 0.0, 0.1], [0.3, 0.0, 0.8, 0.0]])
    neighbors = Neighbors.top_k(s, np.arange(4), n_items=4, k=3, block=3)  # two blocks of rows
    assert neighbors.dense()[0].tolist() == [[2, 3, 1], [3, 2, 0], [1, 0, 3], [2, 0, -1]]
    strongest = neighbors.strongest(1, weight=2.0)
    assert strongest.k == 1 and strongest.dense()[0].tolist() == [[2], [3], [1], [2]]
    np.testing.assert_allclose(strongest.dense()[1][:, 0], [1.4, 1.8, 1.2, 1.6], rtol=1e-6)
    two = neighbors.strongest(2)
    assert two.lengths().tolist() == [2, 2, 2, 2] and two.dense()[0].tolist() == [[2, 3], [3, 2], [1, 0], [2, 0]]
    assert neighbors.strongest(5).dense()[0].tolist() == neighbors.dense()[0].tolist()  # no more than it has


def test_the_matrix_scores_a_history_as_scores_does():
    neighbors = Neighbors.top_k(S, KEPT, n_items=5, k=2)
    history = np.array([2, 4, 4, 1])
    counts = np.bincount(history, minlength=5) / len(history)
    np.testing.assert_allclose(
        counts @ neighbors.matrix().toarray(), neighbors.scores(history, np.arange(5)), rtol=1e-6
    )


def test_a_library_is_each_paper_read_once_the_latest_cap_without_dismissed_ones():
    # reader 0: 1, 2, 3 viewed, 1 liked again, 4 dismissed; reader 1: nothing positive
    users, items = np.array([0, 0, 0, 0, 0, 1]), np.array([1, 2, 3, 1, 4, 2])
    kinds = ["view", "view", "open", "like", "dismiss", "dismiss"]
    inter = Interactions(users, items, np.arange(6), np.array([EVENT_CODE[k] for k in kinds]), ["a", "b"])
    libraries = library_means(inter, n_items=5).toarray()
    np.testing.assert_allclose(libraries[0], [0, 1 / 3, 1 / 3, 1 / 3, 0], rtol=1e-6)
    assert not libraries[1].any()
    # the latest two: 1 (liked again last) and 3, not 2
    np.testing.assert_allclose(library_means(inter, n_items=5, cap=2).toarray()[0], [0, 0.5, 0, 0.5, 0], rtol=1e-6)


def triples(n_triples: int = 30, per_pair: int = 2):
    """Papers in co-read triples (3t, 3t + 1, 3t + 2): each pair of a triple is the whole library of
    `per_pair` readers. Rank 2 cannot hold 30 blocks; item-item neighbours can."""
    pairs = [
        (3 * t + a, 3 * t + b) for t in range(n_triples) for a, b in ((0, 1), (0, 2), (1, 2)) for _ in range(per_pair)
    ]
    users = np.repeat(np.arange(len(pairs)), 2)
    items = np.array(pairs).ravel()
    inter = Interactions(
        users,
        items,
        np.arange(len(users)),
        np.full(len(users), EVENT_CODE["view"]),
        [f"u{u}" for u in range(len(pairs))],
    )
    return ItemTable([f"p{i}" for i in range(3 * n_triples)]), inter


def neighbours_config(**overrides) -> TrainConfig:
    model = ModelConfig(
        input_ids=True,
        normalize_items=False,
        normalize=False,
        user_layer_norm=False,
        dim=2,
        max_len=4,
        user_encoder="mean",
    )
    defaults = {"ease_lambda": 1.0, "neighbors": 4, "epochs": 0, "val_fraction": 0.0}  # epochs 0: the EASE start
    return TrainConfig(
        model=model, objective="library", id_init="ease", device="cpu", progress=False, **{**defaults, **overrides}
    )


def third_of_triple_ranks(score_rows) -> float:
    """Share of readers whose unread third paper of their triple ranks first among papers they have not read."""
    items, inter = triples()
    first = []
    for a, b in inter.items.reshape(-1, 2):
        scores = np.array(score_rows(np.array([a, b])), dtype=float)
        scores[[a, b]] = -np.inf
        first.append(int(np.argmax(scores)) == 3 * (a // 3) + 3 - (a % 3) - (b % 3))
    return float(np.mean(first))


def test_training_returns_neighbours_that_hold_what_rank_d_cannot():
    items, inter = triples()
    model, history = train(items, inter, neighbours_config())
    neighbors = history["neighbors"]
    assert isinstance(neighbors, Neighbors) and neighbors.k == 4 and history["neighbors_weight"] == 1.0
    # the user vector is the history's mean input row / temperature: the scale folded into the weights
    assert np.isclose(history["neighbors_scale"], 1 / model.log_temperature.exp().item(), rtol=0.05)
    vectors = model.item_vectors(ItemFeatures(torch.arange(len(items)))).numpy()

    def dense(rows):
        h = History(ItemFeatures(torch.as_tensor(rows)), torch.full((2,), EVENT_CODE["view"]), torch.arange(2))
        return model.user_vector(h).numpy() @ vectors.T

    alone = third_of_triple_ranks(dense)
    together = third_of_triple_ranks(lambda rows: dense(rows) + neighbors.scores(rows, np.arange(len(items))))
    assert alone < 0.5 and together == 1.0


def test_validation_readers_choose_the_neighbours_or_none():
    items, inter = triples()
    _, history = train(items, inter, neighbours_config(val_fraction=0.2))
    assert history["neighbors"] is not None and history["neighbors_weight"] > 0
    grid = history["neighbors_val_hit@20"]
    assert grid[f"{history['neighbors_k']}x{history['neighbors_weight']:g}"] > grid["none"]
    _, without = train(items, inter, neighbours_config(neighbors=0))
    assert without["neighbors"] is None


def test_signed_neighbours_are_judged_with_and_without_their_negative_weights():
    items, inter = triples()
    _, history = train(items, inter, neighbours_config(val_fraction=0.2, neighbors_signed=True))
    grid = history["neighbors_val_hit@20"]
    assert {"4x1", "4x1 signed", "1x1", "1x1 signed"} <= set(grid)
    assert history["neighbors"] is not None
    key = f"{history['neighbors_k']}x{history['neighbors_weight']:g}{' signed' if history['neighbors_signed'] else ''}"
    assert grid[key] == max(grid.values())


def test_the_validation_readers_judge_each_share_of_the_count_the_start_kept():
    items, inter = triples()
    _, history = train(items, inter, neighbours_config(val_fraction=0.2, neighbors=64))
    counts = {int(key.split("x")[0]) for key in history["neighbors_val_hit@20"] if key != "none"}
    assert counts == {2, 8, 32, 64}  # 1/32, 1/8, 1/2 and all of 64


def test_the_harness_app_scores_the_dense_and_the_neighbours_sum():
    items, inter = triples()
    config = neighbours_config()
    score, trained = fit_two_tower(config, Split(inter, np.arange(6), [], []), items, seed=0)
    model, history = train(items, inter, config)  # the same run again: deterministic on the CPU
    vectors = model.item_vectors(ItemFeatures(torch.arange(len(items)))).numpy()
    served = []
    for rows in inter.items.reshape(-1, 2)[:6]:
        h = History(ItemFeatures(torch.as_tensor(rows)), torch.full((2,), EVENT_CODE["view"]), torch.arange(2))
        served.append(
            model.user_vector(h).numpy() @ vectors.T + history["neighbors"].scores(rows, np.arange(len(items)))
        )
    np.testing.assert_allclose(score(np.arange(6)).numpy(), np.stack(served), rtol=1e-4, atol=1e-4)
    assert np.abs(history["neighbors"].data).sum() > 0


def triples_and_a_long_reader():
    """`triples`, and one more reader who read 0 and 1 (two thirds of a triple), then four papers of
    other triples; returns the items, the interactions, that reader and what they read."""
    items, inter = triples()
    long = inter.n_users
    read = np.array([0, 1, 3, 4, 6, 7])
    inter = Interactions(
        np.r_[inter.users, np.full(len(read), long)],
        np.r_[inter.items, read],
        np.r_[inter.timestamps, 1000 + np.arange(len(read))],
        np.r_[inter.events, np.full(len(read), EVENT_CODE["view"])],
        [*inter.user_ids, "long"],
    )
    return items, inter, long, read


def test_the_harness_neighbours_read_the_whole_library_not_the_towers_latest_events():
    """A reader who read 0 and 1 (two thirds of a triple) and then four papers of other triples: the
    user tower reads the latest max_len = 4 events, the neighbours all six papers, so the missing third
    paper 2 is raised as EASE's x_u B raises it (B itself: block-diagonal, only 0 and 1 reach 2)."""
    items, inter, long, read = triples_and_a_long_reader()
    config = neighbours_config(neighbors_of="ease")
    score, trained = fit_two_tower(config, Split(inter, np.array([long]), [], []), items, seed=0)
    neighbors = trained["neighbors"]
    model, _ = train(items, inter, config)
    vectors = model.item_vectors(ItemFeatures(torch.arange(len(items)))).numpy()
    latest = History(ItemFeatures(torch.as_tensor(read[-4:])), torch.full((4,), EVENT_CODE["view"]), torch.arange(4))
    served = model.user_vector(latest).numpy() @ vectors.T + neighbors.scores(read, np.arange(len(items)))
    np.testing.assert_allclose(score(np.array([long]))[0].numpy(), served, rtol=1e-4, atol=1e-4)
    assert neighbors.scores(read, np.array([2]))[0] > 0 and neighbors.scores(read[-4:], np.array([2]))[0] == 0


def test_the_apps_mean_tower_leaves_dismissed_papers_out_as_eases_x_u_does():
    torch.manual_seed(0)
    text = torch.randn(3, 4)
    events = torch.tensor([EVENT_CODE["view"], EVENT_CODE["dismiss"], EVENT_CODE["like"]])

    def vector(model, rows):
        rows = torch.as_tensor(rows)
        return model.user_vector(History(ItemFeatures(rows, text[rows]), events[rows], rows)).detach()

    for positives_only in (True, False):
        config = ModelConfig(dim=8, text_dim=4, hidden=8, user_encoder="mean", mean_of_positives=positives_only)
        model = TwoTower(config).eval()
        same = torch.allclose(vector(model, [0, 1, 2]), vector(model, [0, 2]), atol=1e-6)
        assert same == positives_only


def test_a_library_history_is_each_paper_once_with_its_latest_positive_event_oldest_first():
    # reader 0: 1, 2, 3 viewed, 1 liked again, 4 dismissed; reader 1: nothing positive
    users, items = np.array([0, 0, 0, 0, 0, 1]), np.array([1, 2, 3, 1, 4, 2])
    kinds = ["view", "view", "open", "like", "dismiss", "dismiss"]
    inter = Interactions(users, items, np.arange(6), np.array([EVENT_CODE[k] for k in kinds]), ["a", "b"])
    library = library_histories(inter, n_items=5)
    assert library["items"].tolist() == [[2, 3, 1], [-1, -1, -1]]
    assert library["events"].tolist() == [[EVENT_CODE["view"], EVENT_CODE["open"], EVENT_CODE["like"]], [0, 0, 0]]
    assert library_histories(inter, n_items=5, cap=2)["items"].tolist() == [[3, 1], [-1, -1]]


def mean_of_positives(**overrides) -> ModelConfig:
    """An id-only mean of positives that reads the library (`overrides`: other ModelConfig fields)."""
    fields = {"dim": 8, "text_dim": 0, "id_buckets": 10, "user_encoder": "mean", "mean_of_positives": True}
    return ModelConfig(**{**fields, "library": True, "max_len": 4, **overrides})


def test_a_mean_of_positives_reads_the_whole_library_not_the_latest_max_len_events():
    torch.manual_seed(0)
    model = TwoTower(mean_of_positives(max_len=4)).eval()
    with torch.no_grad():  # a residual MLP that is not zero, so more than a plain mean is checked
        model.user_tower.mixer[2].weight.normal_()
    assert model.reads_library
    assert not TwoTower(mean_of_positives(library=False)).reads_library  # the default: the latest max_len events
    assert not TwoTower(ModelConfig(dim=8, text_dim=0, id_buckets=10, library=True)).reads_library  # a sequence
    read = torch.tensor([0, 1, 3, 4, 6, 7])
    events = torch.full((6,), EVENT_CODE["view"])

    def vector(rows, codes):
        return model.user_vector(History(ItemFeatures(rows), codes, torch.arange(len(rows))))

    whole, latest = vector(read, events), vector(read[-4:], events[-4:])
    assert not torch.allclose(whole, latest, atol=1e-4)
    # the same vector as the tower's causal pass reads at its last step (positions beyond max_len unread)
    model.config.max_len = model.user_tower.position.num_embeddings = 6
    stepwise = model.queries(model.item_tower(ItemFeatures(read), inputs=True)[None], events[None], events[None] * 0)
    torch.testing.assert_close(whole, stepwise[0, -1].detach(), atol=1e-5, rtol=1e-5)
    # many libraries at once, padded, as the harness reads them: each reader's own
    items = torch.tensor([[0, 1, 3, 4, 6, 7], [2, 5, -1, -1, -1, -1]])
    codes = torch.where(items >= 0, EVENT_CODE["view"], 0)
    together = model.library_vectors(items, codes, ItemFeatures(torch.arange(10)), cells=6)
    torch.testing.assert_close(together[0], whole, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(together[1], vector(torch.tensor([2, 5]), codes[1, :2]), atol=1e-5, rtol=1e-5)


def test_the_harness_mean_of_positives_reads_the_whole_library():
    """The reader of test_the_harness_neighbours_read_the_whole_library_not_the_towers_latest_events,
    scored by a tower that averages positives: its vector is the mean over all six papers, as served."""
    items, inter, long, read = triples_and_a_long_reader()
    config = neighbours_config(neighbors=0, validation="library")  # a library is read whole where libraries judge
    config = dataclasses.replace(config, model=dataclasses.replace(config.model, mean_of_positives=True, library=True))
    score, _ = fit_two_tower(config, Split(inter, np.array([long]), [], []), items, seed=0)
    model, _ = train(items, inter, config)
    vectors = model.item_vectors(ItemFeatures(torch.arange(len(items)))).numpy()

    def served(rows):
        h = History(
            ItemFeatures(torch.as_tensor(rows)), torch.full((len(rows),), EVENT_CODE["view"]), torch.arange(len(rows))
        )
        return model.user_vector(h).numpy() @ vectors.T

    np.testing.assert_allclose(score(np.array([long]))[0].numpy(), served(read), rtol=1e-4, atol=1e-4)
    assert not np.allclose(served(read), served(read[-4:]), atol=1e-3)  # the latest max_len = 4 would differ
