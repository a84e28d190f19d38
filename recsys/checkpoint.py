"""Checkpoints that carry their config: a model can be rebuilt from the file alone."""

import dataclasses
from pathlib import Path

import torch

from recsys.model import ModelConfig, TwoTower


def save_checkpoint(path: str | Path, model: TwoTower, extra: dict | None = None) -> None:
    """Saves the model config, weights and any plain-data `extra` (train config, metrics, item ids)."""
    state = {
        "model_config": dataclasses.asdict(model.config),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": extra or {},
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)


def load_checkpoint(path: str | Path, device: str = "cpu") -> tuple[TwoTower, dict]:
    """(model in eval mode on `device`, extra). Loads plain tensors and dicts only (weights_only)."""
    state = torch.load(path, map_location=device, weights_only=True)
    model = TwoTower(ModelConfig(**state["model_config"])).to(device)
    model.load_state_dict(state["state_dict"])
    return model.eval(), state["extra"]
