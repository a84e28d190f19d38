"""How much of EASE a rank-d dot-product model can hold: EASE's B truncated to rank d (P Q^T, the
app's start, recsys.train.ease_item_factors), with and without unit-length item rows, and PureSVD,
scored on the harness's split and reader sample (recall@20). No training: the ceiling of the start.

    python -m bench.ease_rank --data /work/datasets/simc --lam 100 --dims 32,64,128,256
"""

import argparse
from pathlib import Path

import numpy as np
import torch
from scipy.sparse.linalg import svds

from recsys.baselines import ease_weights, reader_matrix
from recsys.evaluate import load_dataset
from recsys.metrics import ranking_metrics
from recsys.splits import Split, split
from recsys.train import ease_item_factors


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="a folder with items.jsonl and interactions.csv")
    p.add_argument("--lam", type=float, required=True, help="EASE's lambda (the harness's validated one)")
    p.add_argument("--dims", default="64,128,256", help="comma-separated ranks")
    p.add_argument("--split", default="random")
    p.add_argument("--max-readers", type=int, default=2000)
    args = p.parse_args(argv)
    items, inter = load_dataset(args.data / "items.jsonl", args.data / "interactions.csv")
    data = split(inter, args.split)
    if len(data.readers) > args.max_readers:  # the harness's sample
        keep = np.sort(np.random.default_rng(0).choice(len(data.readers), args.max_readers, replace=False))
        data = Split(data.train, data.readers[keep], [data.relevant[i] for i in keep], [data.seen[i] for i in keep])
    n = len(items)
    x = reader_matrix(data.train, n)

    def recall(user_rows, item_rows) -> float:
        def score(readers):
            return (torch.from_numpy(x[readers].toarray()) @ user_rows) @ item_rows.T

        return ranking_metrics(score, data.readers, data.relevant, data.seen, n, ks=(20,))["recall@20"]

    b = torch.from_numpy(ease_weights(x, args.lam))
    full = ranking_metrics(
        lambda r: torch.from_numpy(x[r].toarray()) @ b, data.readers, data.relevant, data.seen, n, ks=(20,)
    )
    print(f"| full EASE | {full['recall@20']:.4f} | | |")
    print("| rank | EASE P Q^T | item rows unit length | PureSVD V V^T |\n|---|---|---|---|")
    for d in (int(d) for d in args.dims.split(",")):
        p_rows, q_rows, _ = (
            torch.from_numpy(a) if isinstance(a, np.ndarray) else a
            for a in ease_item_factors(data.train, n, d, args.lam)
        )
        _, _, vt = svds(x.astype(np.float64), k=d, random_state=0)
        v = torch.from_numpy(vt.T.astype(np.float32))
        unit = torch.nn.functional.normalize(q_rows, dim=1)
        print(f"| {d} | {recall(p_rows, q_rows):.4f} | {recall(p_rows, unit):.4f} | {recall(v, v):.4f} |", flush=True)


if __name__ == "__main__":
    main()
