import json
from pathlib import Path

import numpy as np
import pytest

from recsys.encoder import load_encoder, packaged_model_path, paper_text

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "arxiv_papers.jsonl"


@pytest.fixture(scope="module")
def encoder_texts() -> list[str]:
    """What an encoder backend is checked on against torch fp32."""
    with open(SAMPLE, encoding="utf-8") as lines:
        papers = [paper_text(row["title"], row["abstract"]) for row in map(json.loads, lines)]
    # Abstracts cut at the model's limit, a few short texts (queries), and one of each length in between.
    return papers[:96] + ["two-tower retrieval", "x", "Sequential recommendation with transformers."]


def cosines_to_fp32(encoder, texts: list[str], batch_size: int) -> np.ndarray:
    """Each text's cosine between `encoder`'s unit vector and torch fp32's, after checking the shape."""
    fast = encoder.encode(texts, batch_size=batch_size)
    exact = load_encoder(str(packaged_model_path()), "cpu", "torch").encode(texts, batch_size=16)
    assert fast.shape == exact.shape == (len(texts), 384) and fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    return (fast * exact).sum(axis=1)
