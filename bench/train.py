"""Two-tower training throughput: examples/s, peak memory and, on CUDA, the share of bf16 peak.

    python bench/train.py --device cpu --preset cpu      # quick, a couple of minutes on 2 cores
    python bench/train.py --device cuda --preset h200    # one H200, bf16, 1M-item catalogue, < 5 min

An example is one (prefix -> next item) prediction. Each configuration times the real train step
(recsys.train.train_step: forward, corrected-logQ loss with mixed negatives, backward, AdamW) on
synthetic Zipf-distributed sequences over a catalogue of random unit "text" embeddings. Prints one
JSON line per configuration, then a markdown table.

Model FLOPs are counted analytically, matmuls only, forward x 3 for forward + backward:
  item tower   2 (text_dim * hidden + hidden * dim)          per distinct item in the step
  user tower   layers * (24 d^2 + 4 T d) + 2 d^2              per sequence position (T = max_len)
  scores       2 d C                                          per example (C candidates)
The bf16 peak used is the H200/H100 SXM dense spec, 989e12 FLOP/s (about 790e12 is what a large
bf16 matmul reaches on these machines), so the reported fraction is of the spec figure.
"""

import argparse
import json
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from recsys.model import ItemFeatures, ModelConfig, TwoTower  # noqa: E402
from recsys.sampling import ExactFrequency  # noqa: E402
from recsys.train import TrainConfig, bf16_autocast, configure_optimizer, train_step  # noqa: E402

BF16_SPEC_PEAK = 989e12


@dataclass
class Setup:
    n_items: int
    sequences: int  # per step
    max_len: int
    uniform: int  # uniform negatives per step
    dim: int = 128
    hidden: int = 512
    layers: int = 2
    heads: int = 4
    text_dim: int = 384

    @property
    def examples(self) -> int:
        return self.sequences * self.max_len


PRESETS = {
    "cpu": [
        Setup(100_000, 16, 32, 1024, dim=64, hidden=256),
        Setup(100_000, 32, 32, 1024, dim=64, hidden=256),
        Setup(100_000, 64, 32, 2048, dim=64, hidden=256),
    ],
    "h200": [
        Setup(1_000_000, 64, 64, 8192),
        Setup(1_000_000, 128, 64, 8192),
        Setup(1_000_000, 256, 64, 16384),
        Setup(1_000_000, 256, 64, 16384, dim=256, hidden=1024, layers=4, heads=8),
    ],
}


def step_flops(s: Setup, distinct_items: int, candidates: int) -> float:
    item = 2 * (s.text_dim * s.hidden + s.hidden * s.dim) * distinct_items
    user = (s.layers * (24 * s.dim**2 + 4 * s.max_len * s.dim) + 2 * s.dim**2) * s.examples
    scores = 2 * s.dim * candidates * s.examples
    return 3.0 * (item + user + scores)


def synthetic_batch(s: Setup, device, generator) -> dict:
    # Zipf(1) item popularity, so in-batch frequencies and dedupe look like real traffic
    shape = (s.sequences, s.max_len + 1)
    items = (
        (s.n_items ** torch.rand(shape, device=device, generator=generator, dtype=torch.float64) - 1)
        .long()
        .clamp_max(s.n_items - 1)
    )
    return {
        "items": items,
        "events": torch.full_like(items, 2),
        "gaps": torch.randint(0, 32, items.shape, device=device, generator=generator),
    }


def peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak RSS (Linux: KiB)


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def run(s: Setup, device: str, warmup: int, steps: int) -> dict:
    torch.manual_seed(0)
    generator = torch.Generator(device=device).manual_seed(0)
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    text = torch.nn.functional.normalize(torch.randn(s.n_items, s.text_dim, device=device, generator=generator), dim=1)
    catalogue = ItemFeatures(torch.arange(s.n_items, device=device), text)
    config = TrainConfig(
        model=ModelConfig(
            text_dim=s.text_dim,
            dim=s.dim,
            hidden=s.hidden,
            layers=s.layers,
            heads=s.heads,
            max_len=s.max_len,
            user_encoder="transformer",
            dropout=0.0,
        ),
        loss="corrected_logq",
        uniform_negatives=s.uniform,
        in_batch_negatives=0,
    )
    model = TwoTower(config.model).to(device)
    optimizer = configure_optimizer(model, config)
    frequency = ExactFrequency(torch.ones(s.n_items, device=device))
    batches = [synthetic_batch(s, device, generator) for _ in range(4)]
    autocast = bf16_autocast(device)
    for i in range(warmup):
        train_step(model, optimizer, batches[i % 4], catalogue, config, frequency, autocast)
    distinct = [int(torch.unique(b["items"]).numel()) + s.uniform for b in batches]  # upper bound with negatives
    sync(device)
    tic = time.perf_counter()
    for i in range(steps):
        loss = train_step(model, optimizer, batches[i % 4], catalogue, config, frequency, autocast)
    sync(device)
    seconds = (time.perf_counter() - tic) / steps
    flops = sum(step_flops(s, distinct[i % 4], s.examples + s.uniform) for i in range(steps)) / steps
    result = {
        **asdict(s),
        "device": device,
        "torch": torch.__version__,
        "examples_per_step": s.examples,
        "step_ms": 1e3 * seconds,
        "examples_per_s": s.examples / seconds,
        "tflops": flops / seconds / 1e12,
        "peak_memory_mb": peak_memory_mb(device),
        "loss": float(loss),
    }
    if device.startswith("cuda"):
        result["gpu"] = torch.cuda.get_device_name()
        result["fraction_of_bf16_peak"] = flops / seconds / BF16_SPEC_PEAK
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default 5 on CPU, 20 on CUDA)")
    args = parser.parse_args()
    if args.device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = True  # the few fp32 matmuls outside autocast
    steps = args.steps or (20 if args.device.startswith("cuda") else 5)
    results = []
    for setup in PRESETS[args.preset]:
        results.append(run(setup, args.device, args.warmup, steps))
        print(json.dumps(results[-1]), flush=True)
    cols = [
        "n_items",
        "examples_per_step",
        "uniform",
        "dim",
        "layers",
        "step_ms",
        "examples_per_s",
        "tflops",
        "peak_memory_mb",
    ]
    if args.device.startswith("cuda"):
        cols.append("fraction_of_bf16_peak")
    print("\n| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in results:
        print("| " + " | ".join(f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
