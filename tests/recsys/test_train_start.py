"""The served start is fitted again on every reader once the validation readers have chosen it."""

import dataclasses

import numpy as np
import torch

from recsys.app import app_train_config
from recsys.train import ease_start, train
from recsys.train.neighbor_choice import NEIGHBOR_SHARES
from tests.recsys.test_neighbors import neighbours_config, triples


def test_the_served_start_is_refitted_on_every_reader_with_what_the_validation_readers_chose():
    items, inter = triples()
    config = neighbours_config(val_fraction=0.2, ease_lambda=None, neighbors_signed=True)
    model, history = train(items, inter, config)
    assert history["refit"] and history["best_epoch"] == 0
    # the rows and neighbours of EASE on every reader, validation readers too, at the lambda chosen without them
    every = ease_start(
        inter, len(items), config.model.dim, history["ease_lambda"], config.seed, config.neighbors, "residual", True
    )
    ids = torch.arange(len(items))
    torch.testing.assert_close(model.item_tower.input_ids(ids).detach(), torch.from_numpy(every.p))
    torch.testing.assert_close(model.item_tower.ids(ids).detach(), torch.from_numpy(every.q))
    part = every.neighbors if history["neighbors_signed"] else every.neighbors.positive()
    chosen = part.strongest(history["neighbors_k"], history["neighbors_weight"] * history["neighbors_scale"])
    served = history["neighbors"]
    for got, expected in zip(served.dense(), chosen.dense(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6)

    # without the refit: the training readers' start, which the validation readers' libraries are not in
    _, kept = train(items, inter, dataclasses.replace(config, refit=False))
    assert not kept["refit"] and kept["ease_lambda"] == history["ease_lambda"]
    assert not all(np.allclose(a, b) for a, b in zip(kept["neighbors"].dense(), served.dense(), strict=True))


def test_a_trained_epoch_that_beats_the_start_is_served_as_trained():
    items, inter = triples()
    _, history = train(items, inter, neighbours_config(val_fraction=0.2, epochs=2, lr=1e-2))
    assert history["refit"] == (history["best_epoch"] == 0)


def test_a_neighbour_budget_bounds_each_items_count_by_the_catalogue():
    config = neighbours_config(neighbors=8, neighbors_budget=30)
    assert [config.neighbor_count(n) for n in (3, 4, 10, 15, 31, 1000)] == [8, 7, 3, 2, 1, 1]
    assert neighbours_config(neighbors=8).neighbor_count(1000) == 8  # no budget: every catalogue the same
    assert neighbours_config(neighbors=0, neighbors_budget=30).neighbor_count(3) == 0  # none asked: none


def test_the_start_keeps_the_budgets_count_of_neighbours():
    items, inter = triples()  # 90 papers: a budget of 2 x 90 entries leaves each paper 2 of its 4
    _, history = train(items, inter, neighbours_config(neighbors=4, neighbors_budget=2 * len(items)))
    served = history["neighbors"]
    assert served.k == 2 and history["neighbors_k"] == 2 and served.lengths().max() == 2
    assert served.lengths().sum() <= 2 * len(items)


def test_the_apps_neighbours_cost_at_100000_papers_what_512_each_did_and_no_more_beyond():
    config = app_train_config()
    assert config.neighbor_count(16_980) == 1024  # full CiteULike-a (docs/benchmarks.md, tenth session)
    validated = {max(1, round(1024 * share)) for share in NEIGHBOR_SHARES}
    assert {32, 128, 512, 1024} <= validated  # the counts 512 each once offered, and more
    assert config.neighbor_count(100_000) == 512
    assert all(config.neighbor_count(n) * n <= 512 * 100_000 for n in (100_000, 250_000, 1_000_000))
