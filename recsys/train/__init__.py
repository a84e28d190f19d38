"""Training the two-tower: `train(items, interactions, config) -> (model, metrics)`.

config.py   what a run is asked for (TrainConfig)
start.py    the fitted start: id rows from the SVD or EASE, and EASE's neighbours
validation.py  the validation readers, their hit rate, the neighbours' choice
loop.py     the loop: steps, early stopping, resuming, what is served beside the model
"""

from recsys.train.config import TrainConfig, catalogue_features
from recsys.train.loop import bf16_autocast, configure_optimizer, train, train_step
from recsys.train.neighbor_choice import choose_neighbors
from recsys.train.start import EaseStart, ease_item_factors, ease_start, svd_item_factors
from recsys.train.validation import hit_rate, split_readers

__all__ = [
    "EaseStart",
    "TrainConfig",
    "bf16_autocast",
    "catalogue_features",
    "choose_neighbors",
    "configure_optimizer",
    "ease_item_factors",
    "ease_start",
    "hit_rate",
    "split_readers",
    "svd_item_factors",
    "train",
    "train_step",
]
