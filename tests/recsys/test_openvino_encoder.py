"""OpenVINO in bf16: every vector within 0.99 cosine of torch fp32, served first where the CPU has bf16."""

import numpy as np
import pytest

from recsys.encoder import load_encoder, packaged_model_path
from tests.recsys.conftest import cosines_to_fp32

pytest.importorskip("openvino")
from recsys.openvino_encoder import BATCH_TOKENS, native_bf16  # noqa: E402


@pytest.fixture(scope="module")
def openvino():
    return load_encoder(str(packaged_model_path()), "cpu", "openvino")


def test_every_vector_is_within_0_99_cosine_of_fp32(openvino, encoder_texts):
    # Forced, it runs on any CPU: in bf16 where the CPU has it (the precision served), else in fp32.
    assert openvino.backend == f"openvino-{'bf16' if native_bf16() else 'f32'}"
    cosines = cosines_to_fp32(openvino, encoder_texts, batch_size=64)
    assert cosines.min() >= 0.99, np.sort(cosines)[:5]


def test_batches_are_capped_by_padded_tokens_and_the_order_is_kept(openvino, encoder_texts, monkeypatch):
    shapes = []
    run = openvino.model._runners

    def recording(order, lengths):
        return [
            (group, lambda feeds, f=f: shapes.append(feeds["input_ids"].shape) or f(feeds))
            for group, f in run(order, lengths)
        ]

    monkeypatch.setattr(openvino.model, "_runners", recording)
    texts = encoder_texts + [text.split(". ")[0] for text in encoder_texts[:40]]  # and 40 titles
    vectors = openvino.encode(texts, batch_size=64)
    assert sum(rows for rows, _ in shapes) == len(texts)
    assert all(rows * tokens <= BATCH_TOKENS or rows == 1 for rows, tokens in shapes)
    assert max(rows for rows, _ in shapes) > BATCH_TOKENS // 256  # short texts share larger batches
    reordered = openvino.encode(texts[::-1], batch_size=7)[::-1]
    assert (reordered * vectors).sum(axis=1).min() > 0.999
    assert openvino.encode([]).shape == (0, 384)


@pytest.mark.skipif(not native_bf16(), reason="this CPU has no native bf16: int8 ONNX Runtime serves")
def test_it_serves_by_default_where_the_cpu_has_bf16():
    assert load_encoder(str(packaged_model_path()), "cpu").backend == "openvino-bf16"


def test_without_openvino_the_next_backend_serves(monkeypatch):
    import recsys.encoder

    def missing(model_path, forced):
        raise ImportError("No module named 'openvino'")

    monkeypatch.setitem(recsys.encoder.CPU_BACKENDS, "openvino", missing)
    load_encoder.cache_clear()
    try:
        assert load_encoder(str(packaged_model_path()), "cpu").backend == "onnx-int8"
        with pytest.raises(ImportError):
            load_encoder(str(packaged_model_path()), "cpu", "openvino")
    finally:
        load_encoder.cache_clear()
