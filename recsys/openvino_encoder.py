"""The text model on OpenVINO in bf16: the fastest CPU backend where the CPU computes in bf16 natively.

OpenVINO reads the fp32 ONNX graph that recsys/onnx_encoder.py exports and runs its matrix products
in bf16 (on Intel's AMX tiles where there are some, else AVX-512 BF16), accumulating in fp32. bf16
keeps 8 bits of mantissa for weights and activations alike, with no per-batch scale to get wrong, so
every vector stays at cosine 0.9999 to torch fp32 (the int8 graph: 0.99), short texts included. Texts
under SHORT_TOKENS (search queries) still run on ONNX Runtime's fp32 graph where onnxruntime is
installed: one query took 22-24 ms there against 34-40 ms on OpenVINO (p50, loaded machine; OpenVINO
pays more per call), and it is exact. On this Xeon (Sapphire Rapids, 2 cores) OpenVINO embeds about
twice the papers per second of int8 ONNX Runtime or torch fp32 (docs/benchmarks.md, eighth session).

A CPU without native bf16 would run the graph in fp32, slower here than int8 ONNX Runtime, so
`load_encoder` picks this backend on its own only where `native_bf16()` holds.

Batches hold at most BATCH_TOKENS padded tokens: 16 abstracts at the model's 256-token limit, more
short texts. Larger batches of long texts were slower (64 abstracts: under half the papers per second
of 16), their attention scores no longer fitting the cache.
"""

import os
from pathlib import Path

from recsys.onnx_encoder import FP32, SHORT_TOKENS, ExportedTextModel, ort_session

BATCH_TOKENS = 16 * 256


def native_bf16() -> bool:
    import openvino as ov

    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


class OpenVinoTextModel(ExportedTextModel):
    batch_tokens = BATCH_TOKENS

    def __init__(self, out_dir: Path, threads: int | None = None):
        import openvino as ov

        super().__init__(out_dir)
        core = ov.Core()
        threads = threads or int(os.environ.get("RETRIEVER_ONNX_THREADS", "0"))
        self.precision = "bf16" if native_bf16() else "f32"
        config = {
            "INFERENCE_PRECISION_HINT": self.precision,
            "PERFORMANCE_HINT": "LATENCY",  # one request at a time, all cores to it
            "CACHE_DIR": str(out_dir / "openvino"),  # the compiled graph, so a new process starts quicker
            **({"INFERENCE_NUM_THREADS": threads} if threads else {}),
        }
        self.compiled = core.compile_model(str(out_dir / FP32), "CPU", config)
        try:  # one short text (a search query) runs sooner on ONNX Runtime's fp32 graph, and exactly
            self.short_session = ort_session(out_dir / FP32, threads)
        except ImportError:
            self.short_session = None

    def _runners(self, order, lengths):
        run = lambda feeds: self.compiled(feeds)[0]  # noqa: E731
        if self.short_session is None:
            return [(order, run)]
        return [
            ([i for i in order if lengths[i] >= SHORT_TOKENS], run),
            ([i for i in order if lengths[i] < SHORT_TOKENS], lambda feeds: self.short_session.run(None, feeds)[0]),
        ]
