"""The retriever the app trains: one definition, read by apps/recommendations (training and
serving) and by the harness's `app` method, so the report always shows what readers get.

Chosen by the evaluation in docs/benchmarks.md ("The app's retriever against the baselines").
"""
import dataclasses

from recsys.model import ModelConfig
from recsys.train import TrainConfig

APP_MODEL = ModelConfig()
APP_TRAIN = TrainConfig(model=APP_MODEL, loss="corrected_logq", epochs=10)


def app_train_config(model: dict | None = None, **overrides) -> TrainConfig:
    """APP_TRAIN with `overrides` (TrainConfig fields) and `model` (ModelConfig fields) applied."""
    config = dataclasses.replace(APP_TRAIN, **overrides)
    return dataclasses.replace(config, model=dataclasses.replace(APP_MODEL, **(model or {})))
