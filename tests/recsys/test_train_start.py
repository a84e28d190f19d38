"""The served start is fitted again on every reader once the validation readers have chosen it."""

import dataclasses

import numpy as np
import torch

from recsys.train import ease_start, train
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
