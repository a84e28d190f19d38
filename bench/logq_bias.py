"""Gradient bias of the sampled losses against the full softmax, as the number of negatives k grows.

    python bench/logq_bias.py

Prints a markdown table (the curves of recsys/bias.py, 20,000 draws per point); its output is
in docs/benchmarks.md, section "logQ correction: gradient bias vs k".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from recsys.bias import METHODS, gradient_error  # noqa: E402

KS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

if __name__ == "__main__":
    print("| k | " + " | ".join(METHODS) + " |\n|---" * 1 + "|---" * len(METHODS) + "|")
    for k in KS:
        print(f"| {k} | " + " | ".join(f"{gradient_error(k, m):.4f}" for m in METHODS) + " |", flush=True)
