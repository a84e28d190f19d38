"""The int8 ONNX Runtime text model: every vector within 0.99 cosine of torch fp32, and served by default on a CPU."""

import json
from pathlib import Path

import numpy as np
import pytest

from recsys.encoder import load_encoder, packaged_model_path, paper_text

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "arxiv_papers.jsonl"
pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def texts() -> list[str]:
    with open(SAMPLE, encoding="utf-8") as lines:
        papers = [paper_text(row["title"], row["abstract"]) for row in map(json.loads, lines)]
    # Abstracts cut at the model's limit, a few short texts (queries), and one of each length in between.
    return papers[:96] + ["two-tower retrieval", "x", "Sequential recommendation with transformers."]


@pytest.fixture(scope="module")
def pair():
    path = str(packaged_model_path())
    return load_encoder(path, "cpu", "onnx"), load_encoder(path, "cpu", "torch")


def test_every_vector_is_within_0_99_cosine_of_fp32(pair, texts):
    onnx, torch_fp32 = pair
    assert onnx.backend == "onnx-int8" and torch_fp32.backend == "torch"
    fast, exact = onnx.encode(texts, batch_size=16), torch_fp32.encode(texts, batch_size=16)
    assert fast.shape == exact.shape == (len(texts), 384) and fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosines = (fast * exact).sum(axis=1)
    assert cosines.min() >= 0.99, np.sort(cosines)[:5]


def test_batches_are_sorted_by_length_without_changing_the_order_of_the_result(pair, texts):
    onnx, _ = pair
    reordered = onnx.encode(texts[::-1], batch_size=7)[::-1]
    # Not bit-identical: int8 activations are scaled per batch, and the batches differ.
    assert (reordered * onnx.encode(texts, batch_size=32)).sum(axis=1).min() > 0.99
    assert onnx.encode([]).shape == (0, 384)


def test_the_fastest_backend_serves_by_default_and_torch_can_be_forced(monkeypatch):
    path = str(packaged_model_path())
    assert load_encoder(path, "cpu").backend == "onnx-int8"
    with pytest.raises(ValueError, match="Unknown text backend"):
        load_encoder(path, "cpu", "tensorrt")


def test_a_model_the_onnx_path_cannot_serve_falls_back_to_torch(tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(packaged_model_path(), copy)
    config = copy / "1_Pooling" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "pooling_mode_mean_tokens": False}))
    monkeypatch.setenv("RETRIEVER_CACHE", str(tmp_path / "cache"))
    assert load_encoder(str(copy), "cpu").backend == "torch"
    with pytest.raises(ValueError, match="mean-pool"):
        load_encoder(str(copy), "cpu", "onnx")


def test_its_threads_sleep_between_runs_rather_than_spin(pair):
    # Spinning threads would hold the cores that a web process's PostgreSQL backends need after a query.
    onnx, _ = pair
    for session in (onnx.model.session, onnx.model.short_session):
        assert session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
