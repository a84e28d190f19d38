"""The text model as int8 ONNX Runtime: about twice the papers per second of torch fp32 on a CPU.

The sentence-transformers directory's transformer is exported to ONNX once (torch.onnx), its weight
matrix multiplications quantized to int8 per output channel (dynamic quantization: activations stay
float and are quantized per batch), and the pair is cached on disk beside the model's fingerprint.
Only MatMuls with a constant weight are quantized: attention's activation-by-activation products
stay float, which keeps every paper vector within 0.99 cosine of fp32 (0.992 at worst on the sample;
tests/recsys/test_onnx_encoder.py). A text of a few tokens (a search query) averages too few token
vectors to wash out the int8 rounding (0.979 for "x"), so texts shorter than SHORT_TOKENS run, in batches
of their own, on the exported fp32 graph, as fast for them. Pooling and normalisation are the model's own (mean over real
tokens, L2), done in numpy.

Batches are formed from texts sorted by length, so a batch pads to its own longest text, not to the
longest of a random mix (most abstracts run to the model's 256-token limit; titles do not).
"""

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
QUANTIZED = "model-int8.onnx"
FP32 = "model-fp32.onnx"
SHORT_TOKENS = 32


def fingerprint(model_path: Path) -> str:
    """Changes when any file of the model directory does, so a new model is exported anew."""
    files = sorted(p for p in Path(model_path).rglob("*") if p.is_file())
    stamp = [(str(p.relative_to(model_path)), p.stat().st_size, int(p.stat().st_mtime)) for p in files]
    return hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:16]


def export_quantized(model_path: Path, out_dir: Path) -> Path:
    """Export and quantize the model once; concurrent processes each write a temporary file and rename."""
    target = out_dir / QUANTIZED
    if target.is_file():
        return target
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    out_dir.mkdir(parents=True, exist_ok=True)
    model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
    transformer = model[0].auto_model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = model.tokenizer(["a short text", "and a somewhat longer one"], padding=True, return_tensors="pt")
    dynamic = {name: {0: "batch", 1: "tokens"} for name in [*INPUTS, "last_hidden_state"]}
    suffix = f".{os.getpid()}.tmp"
    fp32 = out_dir / f"model-fp32.onnx{suffix}"
    with torch.no_grad():
        torch.onnx.export(
            LastHiddenState(),
            tuple(sample[name] for name in INPUTS),
            str(fp32),
            input_names=INPUTS,
            output_names=["last_hidden_state"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
    quantized = out_dir / f"{QUANTIZED}{suffix}"
    quantize_dynamic(
        str(fp32),
        str(quantized),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        extra_options={"MatMulConstBOnly": True},
    )
    model.tokenizer.save_pretrained(str(out_dir / "tokenizer"))
    (out_dir / "config.json").write_text(
        json.dumps({"max_seq_length": model.max_seq_length, "dimension": model.get_embedding_dimension()})
    )
    os.replace(fp32, out_dir / FP32)
    os.replace(quantized, target)  # last: its presence says the directory is complete
    return target


def ort_session(path: Path, threads: int | None = None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or int(os.environ.get("RETRIEVER_ONNX_THREADS", "0"))
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # ONNX Runtime's pool threads spin on the cores for a while after each run, waiting for more work. A
    # web process encodes one query and then waits on PostgreSQL, whose backends need those cores: with
    # spinning, hybrid search with filters took 40 ms longer per request (docs/benchmarks.md, seventh
    # session), and batches were no faster.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class ExportedTextModel:
    """What Encoder needs of a SentenceTransformer (`encode`, the dimension), over the exported graph.

    Tokenising, length-sorted batching and the model's pooling are shared by every runtime; a subclass
    says which compiled graph runs which texts (`_runners`) and may cap a batch's padded tokens.
    """

    batch_tokens: int | None = None  # rows x padded length of one batch; None: the caller's batch size alone

    def __init__(self, out_dir: Path):
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(out_dir / "tokenizer"), local_files_only=True)
        config = json.loads((out_dir / "config.json").read_text())
        self.max_seq_length, self.dimension = config["max_seq_length"], config["dimension"]

    def get_embedding_dimension(self) -> int:
        return self.dimension

    def _runners(self, order: list[int], lengths: list[int]) -> list[tuple[list[int], Callable]]:
        """(texts' indices, longest first; a function from the graph's inputs to its hidden states)."""
        raise NotImplementedError

    def encode(self, texts: list[str], *, batch_size: int = 32, normalize_embeddings: bool = True, **_) -> np.ndarray:
        lengths = [
            len(ids) for ids in self.tokenizer(texts, truncation=True, max_length=self.max_seq_length)["input_ids"]
        ]
        order = [int(i) for i in np.argsort([-length for length in lengths], kind="stable")]  # padding per batch
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for group, run in self._runners(order, lengths):
            start = 0
            while start < len(group):
                rows = batch_size
                if self.batch_tokens:  # the batch's first text is its longest
                    rows = max(1, min(batch_size, self.batch_tokens // lengths[group[start]]))
                index = group[start : start + rows]
                out[index] = self._pooled(run, [texts[i] for i in index], normalize_embeddings)
                start += rows
        return out

    def _pooled(self, run: Callable, texts: list[str], normalize: bool) -> np.ndarray:
        tokens = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_seq_length, return_tensors="np"
        )
        hidden = run({name: tokens[name].astype(np.int64) for name in INPUTS})  # (b, t, d)
        mask = tokens["attention_mask"][..., None].astype(np.float32)  # (b, t, 1)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)  # (b, d)
        if normalize:
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled


class OnnxTextModel(ExportedTextModel):
    """int8 ONNX Runtime for the texts of SHORT_TOKENS or more, the fp32 graph for shorter ones."""

    def __init__(self, out_dir: Path, threads: int | None = None):
        super().__init__(out_dir)
        self.session = ort_session(out_dir / QUANTIZED, threads)
        self.short_session = ort_session(out_dir / FP32, threads)

    def _runners(self, order, lengths):
        return [
            ([i for i in order if lengths[i] >= SHORT_TOKENS], lambda feeds: self.session.run(None, feeds)[0]),
            ([i for i in order if lengths[i] < SHORT_TOKENS], lambda feeds: self.short_session.run(None, feeds)[0]),
        ]
