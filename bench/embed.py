"""Embedding throughput (papers/s) of the configured text model, on CPU or GPU.

    python bench/embed.py                                  # CPU here: the 560 sample papers, fastest backend
    python bench/embed.py --backend torch                  # CPU, torch fp32 (the reference)
    python bench/embed.py --check                          # also: cosine of every vector to torch fp32
    python bench/embed.py --backend openvino,onnx,torch --check   # backends back to back, one process
    python bench/embed.py --device cuda --n 20000 --batch-size 256   # a GPU machine (well under 2 minutes)
    python bench/embed.py --device cuda --n 200000 --batch-size 1024 --fp16 --sort   # the GPU target run

Text = title + abstract, as stored. The sample is repeated to reach --n papers. Model loading and one
warm-up batch are excluded from the timing.
"""

import argparse
import json
import time

import torch
from _stack import ROOT, machine

from recsys.encoder import load_encoder, paper_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    parser.add_argument("--n", type=int, default=560, help="papers to embed (sample repeated)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--backend",
        default=None,
        help="auto (fastest available), openvino, onnx or torch; a comma list times each in turn",
    )
    parser.add_argument("--check", action="store_true", help="report each vector's cosine to torch fp32")
    parser.add_argument("--fp16", action="store_true", help="GPU: run the model in half precision")
    parser.add_argument("--sort", action="store_true", help="torch: feed texts longest first (ONNX always does)")
    args = parser.parse_args()

    with open(ROOT / "data" / "sample" / "arxiv_papers.jsonl", encoding="utf-8") as lines:
        texts = [paper_text(row["title"], row["abstract"]) for row in map(json.loads, lines)]
    texts = (texts * (args.n // len(texts) + 1))[: args.n]

    if args.sort:
        texts = sorted(texts, key=len, reverse=True)
    reference = None
    for backend in (args.backend or "auto").split(","):
        vectors, encoder = timed(texts, args, backend)
        if args.check:
            if reference is None:
                reference = load_encoder(None, args.device, "torch").encode(texts, batch_size=args.batch_size)
            cosines = (vectors * reference).sum(axis=1)
            print(
                f"cosine to torch fp32: min {cosines.min():.5f}, mean {cosines.mean():.5f}, below 0.99: {(cosines < 0.99).sum()}"
            )


def timed(texts: list[str], args, backend: str):
    started = time.perf_counter()
    encoder = load_encoder(None, args.device, backend)
    if args.fp16 and encoder.backend == "torch":
        encoder.model.half()
    loaded = time.perf_counter() - started
    encoder.encode(texts[: args.batch_size], batch_size=args.batch_size)  # warm-up (CUDA kernels, caches)
    if encoder.device.startswith("cuda"):
        torch.cuda.synchronize()
    started = time.perf_counter()
    vectors = encoder.encode(texts, batch_size=args.batch_size)
    elapsed = time.perf_counter() - started
    device_name = torch.cuda.get_device_name() if encoder.device.startswith("cuda") else machine()
    print(
        f"model {encoder.name} ({vectors.shape[1]} dims), backend {encoder.backend}, on {encoder.device}: {device_name}"
    )
    print(f"torch threads {torch.get_num_threads()}, batch size {args.batch_size}, model load {loaded:.1f}s")
    print(f"{len(texts)} papers in {elapsed:.1f}s: {len(texts) / elapsed:.1f} papers/s", flush=True)
    return vectors, encoder


if __name__ == "__main__":
    main()
