"""The retriever the app trains: one definition, read by apps/recommendations (training and
serving) and by the harness's `app` method, so the report always shows what readers get.

Chosen by the evaluation in docs/benchmarks.md ("The app's retriever against the baselines"):
- a hybrid item tower: text MLP + one id row per paper, dropped for a quarter of the items in
  training so the text path stays good; rows learn at 1e-2 without decay and are zeroed for papers
  nobody read, so new papers (and unread ones) score from text alone. Text-only, the tower cannot
  see co-reading at all.
- id rows that start from the training reader-paper matrix's SVD (V S^1/2): the mean of a reader's
  rows then ranks like PureSVD from the first step. Random rows sat at the popularity level for
  three epochs before co-reading took over, and sometimes early stopping ended the run there.
- an order-free user tower (the running mean of the history): a library's order means nothing,
  and on the random split of co-reading libraries it beat the positional attention tower 0.66 to 0.52.
- the library objective: a quarter of each training window's papers, held out, are predicted from
  the rest (never scored against what was shown), which trains the vector the app serves, the mean
  of a whole history; the next-item objective only ever trained prefixes. On the 2,000 most-read
  papers of CiteULike-a's real libraries it doubled recall@20 (0.157 -> 0.324; holding out half:
  0.277); on the co-reading simulator 0.654 -> 0.664 (holding out half: 0.694). One seed each.
- patience 3: a hybrid's validation hit rate can stall for two epochs before the ids take over.
"""

import dataclasses

from recsys.model import ModelConfig
from recsys.train import TrainConfig

APP_MODEL = ModelConfig(item_ids=True, id_dropout=0.25, id_init_std=0.05, user_encoder="mean")
APP_TRAIN = TrainConfig(
    model=APP_MODEL,
    loss="corrected_logq",
    objective="library",
    held_out=0.25,
    id_init="svd",
    lr=1e-3,
    id_lr=1e-2,
    epochs=10,
    patience=3,
)


def app_train_config(model: dict | None = None, **overrides) -> TrainConfig:
    """APP_TRAIN with `overrides` (TrainConfig fields) and `model` (ModelConfig fields) applied."""
    config = dataclasses.replace(APP_TRAIN, **overrides)
    return dataclasses.replace(config, model=dataclasses.replace(APP_MODEL, **(model or {})))
