"""Embedding throughput (papers/s) of the configured text model, on CPU or GPU.

    python bench/embed.py                                  # CPU here: the 560 sample papers
    python bench/embed.py --device cuda --n 20000 --batch-size 256   # a GPU machine (well under 2 minutes)

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
    args = parser.parse_args()

    with open(ROOT / "data" / "sample" / "arxiv_papers.jsonl", encoding="utf-8") as lines:
        texts = [paper_text(row["title"], row["abstract"]) for row in map(json.loads, lines)]
    texts = (texts * (args.n // len(texts) + 1))[: args.n]

    started = time.perf_counter()
    encoder = load_encoder(None, args.device)
    loaded = time.perf_counter() - started
    encoder.encode(texts[: args.batch_size], batch_size=args.batch_size)  # warm-up (CUDA kernels, caches)
    if encoder.device.startswith("cuda"):
        torch.cuda.synchronize()
    started = time.perf_counter()
    vectors = encoder.encode(texts, batch_size=args.batch_size)
    elapsed = time.perf_counter() - started
    device_name = torch.cuda.get_device_name() if encoder.device.startswith("cuda") else machine()
    print(f"model {encoder.name} ({vectors.shape[1]} dims) on {encoder.device}: {device_name}")
    print(f"torch threads {torch.get_num_threads()}, batch size {args.batch_size}, model load {loaded:.1f}s")
    print(f"{len(texts)} papers in {elapsed:.1f}s: {len(texts) / elapsed:.1f} papers/s")


if __name__ == "__main__":
    main()
