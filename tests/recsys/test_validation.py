import dataclasses

import numpy as np
import pytest
import torch

from recsys.data import EVENT_CODE, Interactions, ItemTable
from recsys.model import History, ItemFeatures, TwoTower
from recsys.splits import split
from recsys.train import TrainConfig, train
from recsys.train.start import start_id_rows
from recsys.train.validation import clearly_better, held_out_libraries, held_out_recall, hold_out
from tests.recsys.test_neighbors import neighbours_config

N_ITEMS, COMMUNITIES = 60, 4


def libraries(n_readers: int = 96, reads: int = 10, seed: int = 0) -> tuple[ItemTable, Interactions]:
    """Readers in COMMUNITIES co-reading groups of papers, each reading `reads` of their group's in
    no meaningful order, and dismissing one paper of another group."""
    rng = np.random.default_rng(seed)
    size = N_ITEMS // COMMUNITIES
    users, items, events = [], [], []
    for u in range(n_readers):
        group = u % COMMUNITIES
        read = group * size + rng.choice(size, reads, replace=False)
        other = ((group + 1) % COMMUNITIES) * size + rng.integers(size)
        users += [u] * (reads + 1)
        items += [*read.tolist(), int(other)]
        events += [EVENT_CODE["view"]] * reads + [EVENT_CODE["dismiss"]]
    inter = Interactions(
        np.array(users), np.array(items), np.arange(len(users)), np.array(events), [f"u{u}" for u in range(n_readers)]
    )
    return ItemTable([f"p{i}" for i in range(N_ITEMS)]), inter


def config(**overrides) -> TrainConfig:
    """test_neighbors' EASE start, 4 wide (the tower reads the latest 4 events, the neighbours the
    whole library), judged on papers held out of the validation readers' libraries."""
    defaults = {"neighbors": 8, "neighbors_signed": True, "val_fraction": 0.25, "validation": "library"}
    base = neighbours_config(**{**defaults, **overrides})
    return dataclasses.replace(base, model=dataclasses.replace(base.model, dim=4, mean_of_positives=True))


def served_recall(model, neighbors, val, k: int = 20) -> float:
    """Recall@k as the harness defines it (recsys/metrics.py), each reader ranked one at a time the
    way the app serves them: the user tower over their latest events, the neighbours over their
    library, the papers they have excluded."""
    vectors = model.item_vectors(ItemFeatures(torch.arange(N_ITEMS))).detach().numpy()
    recalls = []
    for reader, relevant, seen in zip(val.readers, val.relevant, val.seen):
        mine = np.flatnonzero(val.train.users == reader)
        mine = mine[np.argsort(val.train.timestamps[mine], kind="stable")]
        items, events = val.train.items[mine], val.train.events[mine]
        history = History(ItemFeatures(torch.as_tensor(items)), torch.as_tensor(events), torch.as_tensor(mine))
        scores = model.user_vector(history).detach().numpy() @ vectors.T
        library = np.unique(items[events != EVENT_CODE["dismiss"]])
        scores = scores + neighbors.scores(library, np.arange(N_ITEMS))
        scores[seen] = -np.inf
        wanted = set(relevant.tolist()) - set(seen.tolist())
        top = set(np.argsort(-scores, kind="stable")[:k].tolist())
        recalls.append(len(wanted & top) / min(len(wanted), k))
    return float(np.mean(recalls))


def test_the_validation_readers_are_held_out_as_the_harness_holds_out_its_test_readers():
    _, inter = libraries()
    everyone = held_out_libraries(inter, np.arange(inter.n_users), 0.3, seed=2)
    harness = split(inter, "random", test_fraction=0.3, seed=2)
    assert everyone.readers.tolist() == harness.readers.tolist()
    assert all(np.array_equal(a, b) for a, b in zip(everyone.relevant, harness.relevant))
    some = held_out_libraries(inter, np.array([3, 5, 8]), 0.3, seed=2)
    assert set(np.unique(some.train.users).tolist()) == {3, 5, 8} and set(some.readers.tolist()) <= {3, 5, 8}


def test_the_validation_score_is_the_harness_recall_of_the_served_ranking():
    items, inter = libraries()
    model, trained = train(items, inter, config())
    neighbors = trained["neighbors"]
    assert neighbors is not None
    val = held_out_libraries(inter, np.arange(0, inter.n_users, 3), 0.3, seed=1)
    assert len(val.readers) >= 20
    catalogue = ItemFeatures(torch.arange(N_ITEMS))
    expected = served_recall(model, neighbors, val)
    assert 0.0 < expected < 1.0  # neither trivial nor empty: a wrong term would show
    assert held_out_recall(model, val, catalogue, neighbors) == pytest.approx(expected, abs=1e-9)
    assert held_out_recall(model, val, catalogue) != pytest.approx(expected, abs=1e-3)  # the neighbours count


def test_training_keeps_the_start_when_every_epoch_ranks_the_held_out_papers_worse():
    items, inter = libraries()
    start, at_start = train(items, inter, config())
    # far too fast: every epoch leaves the EASE start behind
    model, trained = train(items, inter, config(epochs=3, patience=3, lr=1.0, id_lr=3.0))
    start_point, *curve = [(h["epoch"], h["val_hit@20"]) for h in trained["history"]]
    assert trained["validation"] == "library" and [epoch for epoch, _ in curve] == [1, 2, 3]
    assert start_point == (0, trained["start_val_hit@20"])  # the start is the curve's first point
    assert max(score for _, score in curve) < trained["start_val_hit@20"] == at_start["start_val_hit@20"]
    assert trained["best_epoch"] == 0 and trained["best_val_hit@20"] == trained["start_val_hit@20"]
    for served, kept in zip(model.state_dict().values(), start.state_dict().values()):
        assert torch.equal(served, kept)


def test_the_validation_readers_keep_their_other_papers_in_the_fit_and_their_held_out_ones_out():
    _, inter = libraries()
    held = hold_out(inter, config(), max_len=4)
    judged = held.judged
    assert 20 <= len(judged.readers) <= 24  # a quarter of 96 readers, each holding out some papers
    fit = set(zip(held.fit.users.tolist(), held.fit.items.tolist(), held.fit.events.tolist()))
    everyone = set(zip(inter.users.tolist(), inter.items.tolist(), inter.events.tolist()))
    hidden = {(u, i) for u, papers in zip(judged.readers.tolist(), judged.relevant) for i in papers.tolist()}
    assert hidden and not {(u, i) for u, i, _ in fit} & hidden  # no held-out paper is fitted on
    assert fit == {(u, i, e) for u, i, e in everyone if (u, i) not in hidden}  # everything else is
    assert set(judged.readers.tolist()) <= set(held.train["users"].tolist())  # they train too
    assert set(held.windows["users"].tolist()) >= set(judged.readers.tolist())
    # the start is fitted on exactly that: every reader but the held-out papers
    model, trained = train(*libraries(), config(epochs=0, refit=False))
    assert trained["refit"] is False
    again = TwoTower(model.config)
    start_id_rows(again, config(), held.fit, ItemFeatures(torch.arange(N_ITEMS)))
    assert torch.equal(model.item_tower.input_ids.weight, again.item_tower.input_ids.weight)
    start_id_rows(again, config(), inter, ItemFeatures(torch.arange(N_ITEMS)))  # with the held-out papers
    assert not torch.equal(model.item_tower.input_ids.weight, again.item_tower.input_ids.weight)
    # the refit adds them back
    refitted, trained = train(*libraries(), config(epochs=0))
    assert trained["refit"] is True
    assert torch.equal(refitted.item_tower.input_ids.weight, again.item_tower.input_ids.weight)


def test_an_epoch_replaces_the_start_only_by_two_standard_errors_of_the_paired_differences():
    rng = np.random.default_rng(0)
    start = rng.random(300)
    assert not clearly_better(start, start)  # a tie keeps the start
    noise = start + rng.normal(0.01, 0.3, 300)  # 0.01 better on average, 0.017 standard error
    assert noise.mean() > start.mean() and not clearly_better(noise, start)
    clear = start + rng.normal(0.05, 0.3, 300)
    assert clearly_better(clear, start) and not clearly_better(start, clear)
    one = start.copy()
    one[0] += 1.0  # a single reader: the mean is higher, but nothing says it is not chance
    assert not clearly_better(one, start)


def test_an_epoch_that_clearly_ranks_the_held_out_papers_better_replaces_the_start():
    items, inter = libraries(n_readers=200)
    base = config(epochs=2, patience=2, lr=1e-2, id_lr=1e-2, neighbors=0, ease_lambda=None)
    narrow = dataclasses.replace(base, model=dataclasses.replace(base.model, dim=2))  # a poor rank-2 start
    model, trained = train(items, inter, narrow)
    start, first = (h["val_hit@20"] for h in trained["history"][:2])
    assert first > start + 0.1 and trained["best_epoch"] >= 1 and not trained["refit"]


@pytest.mark.parametrize("validation, reads_library", [("library", True), ("next_item", False)])
def test_a_reader_is_read_as_the_validation_task_reads_them(validation, reads_library):
    items, inter = libraries(n_readers=32)
    base = config(validation=validation, epochs=0)
    asked = dataclasses.replace(base, model=dataclasses.replace(base.model, library=True))
    model, _ = train(items, inter, asked)
    assert model.reads_library is reads_library


@pytest.mark.parametrize("positives", [True, False])
def test_the_last_mean_is_the_running_mean_at_each_history_end_in_any_chunk(positives):
    # what choose_neighbors' scale reads, without every position's mean of a whole library
    from recsys.model import ModelConfig
    from recsys.train.neighbor_choice import _last_means, _running_means

    torch.manual_seed(0)
    model_config = ModelConfig(text_dim=8, id_buckets=N_ITEMS, input_ids=True, dim=8, user_encoder="mean")
    model = TwoTower(dataclasses.replace(model_config, mean_of_positives=positives)).eval()
    catalogue = ItemFeatures(torch.arange(N_ITEMS), torch.randn(N_ITEMS, 8))
    lengths = torch.tensor([5, 1, 0, 7, 3])
    history = torch.randint(0, N_ITEMS, (5, 7)).masked_fill(torch.arange(7)[None, :] >= lengths[:, None], -1)
    events = torch.tensor([EVENT_CODE["view"], EVENT_CODE["dismiss"]])[torch.randint(0, 2, (5, 7))]
    events = events.masked_fill(history < 0, 0)
    expected = _running_means(model, history, events, catalogue)[torch.arange(5), (lengths - 1).clamp_min(0)]
    for cells in (1, 8, 1 << 18):  # a reader, a pair, all at once
        torch.testing.assert_close(_last_means(model, history, events, lengths, catalogue, cells), expected)
