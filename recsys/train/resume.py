"""Training state after each epoch, so a stopped run goes on from where it was (`train(resume_from=)`):
the model, the optimiser, every RNG and the early-stopping bookkeeping, written atomically."""

import os
from pathlib import Path

import numpy as np
import torch

KEPT = ("best", "best_recalls", "best_state", "best_epoch", "stale", "history")  # early stopping's


def save_state(path: str | Path, model, optimizer, generator: torch.Generator, kept: dict) -> None:
    """Writes the state after an epoch; a kill mid-write leaves the last epoch's file."""
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "generator": generator.get_state()}
    state |= {"torch_rng": torch.get_rng_state(), "numpy_rng": np.random.get_state(), **kept}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, f"{path}.tmp")
    os.replace(f"{path}.tmp", path)


def load_state(path: str | Path, model, optimizer, generator: torch.Generator, device) -> dict | None:
    """Restores what `save_state` wrote into model, optimizer, generator and the global RNGs, and
    returns early stopping's bookkeeping (KEPT); None where there is no such file yet."""
    if not Path(path).exists():
        return None
    saved = torch.load(path, map_location=device, weights_only=False)  # our own file: RNG states
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    generator.set_state(saved["generator"].cpu())  # RNG states are CPU byte tensors on any device
    torch.set_rng_state(saved["torch_rng"].cpu())
    np.random.set_state(saved["numpy_rng"])
    return {k: saved.get(k) for k in KEPT}
