"""Text embeddings with an on-disk cache keyed by model name and a hash of the texts."""

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from recsys.encoder import default_model_path, load_encoder, model_name_for

DEFAULT_CACHE = Path(os.environ.get("RETRIEVER_CACHE", "var/cache/recsys"))


def cache_path(texts: list[str], cache_dir: Path = DEFAULT_CACHE) -> Path:
    digest = hashlib.sha256(json.dumps(texts).encode()).hexdigest()[:24]
    model = model_name_for(default_model_path()).replace("/", "_")
    return Path(cache_dir) / f"{model}-{digest}.npy"


def embed_texts(texts: list[str], cache_dir: Path = DEFAULT_CACHE, progress: bool = False) -> np.ndarray:
    """Unit-normalised float32 [len(texts), dim]; the encoder is loaded only on a cache miss."""
    path = cache_path(texts, cache_dir)
    if path.exists():
        return np.load(path)
    vectors = load_encoder().encode(texts, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    np.save(partial, vectors)
    partial.replace(path)  # atomic: a crash never leaves half a cache file behind
    return vectors
