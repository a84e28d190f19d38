"""The int8 ONNX Runtime text model: every vector within 0.99 cosine of torch fp32, and served by default on a CPU."""

import json

import numpy as np
import pytest

from recsys.encoder import load_encoder, packaged_model_path
from tests.recsys.conftest import cosines_to_fp32

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def onnx():
    return load_encoder(str(packaged_model_path()), "cpu", "onnx")


def test_every_vector_is_within_0_99_cosine_of_fp32(onnx, encoder_texts):
    assert onnx.backend == "onnx-int8"
    cosines = cosines_to_fp32(onnx, encoder_texts, batch_size=16)
    assert cosines.min() >= 0.99, np.sort(cosines)[:5]


def test_batches_are_sorted_by_length_without_changing_the_order_of_the_result(onnx, encoder_texts):
    reordered = onnx.encode(encoder_texts[::-1], batch_size=7)[::-1]
    # Not bit-identical: int8 activations are scaled per batch, and the batches differ.
    assert (reordered * onnx.encode(encoder_texts, batch_size=32)).sum(axis=1).min() > 0.99
    assert onnx.encode([]).shape == (0, 384)


def test_int8_serves_by_default_where_openvino_cannot_run_in_bf16(monkeypatch):
    import recsys.openvino_encoder

    monkeypatch.setattr(recsys.openvino_encoder, "native_bf16", lambda: False)
    load_encoder.cache_clear()
    try:
        assert load_encoder(str(packaged_model_path()), "cpu").backend == "onnx-int8"
    finally:
        load_encoder.cache_clear()


def test_an_unknown_backend_is_refused():
    path = str(packaged_model_path())
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


def test_its_threads_sleep_between_runs_rather_than_spin(onnx):
    # Spinning threads would hold the cores that a web process's PostgreSQL backends need after a query.
    for session in (onnx.model.session, onnx.model.short_session):
        assert session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
