"""Variants of the app's retriever on one split, for choosing recsys/app.py's defaults.

Each --variant is NAME=JSON: TrainConfig overrides of recsys.app's, with a "model" key for ModelConfig
ones. Every variant trains on the same split (and reader sample) as `python -m recsys.evaluate`.

    python -m bench.app_variants --items I --interactions C --split random --seeds 1 \\
        --variant 'app={}' --variant 'full={"loss": "full_softmax"}' --out variants.json
"""

import argparse
import json
import sys
import time
from pathlib import Path

from recsys.app import app_train_config
from recsys.evaluate import evaluate, load_dataset, plain


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--items", type=Path, required=True)
    p.add_argument("--interactions", type=Path, required=True)
    p.add_argument("--split", default="random")
    p.add_argument("--test-fraction", type=float, default=0.2)
    p.add_argument("--new-items", type=float, default=0.0, help="share of read papers held out whole (recsys.splits)")
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--max-readers", type=int, default=5000)
    p.add_argument("--variant", action="append", required=True, help="NAME=JSON overrides")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    items, interactions = load_dataset(args.items, args.interactions)
    rows = []
    for spec in args.variant:
        name, _, overrides = spec.partition("=")
        overrides = json.loads(overrides or "{}")
        config = app_train_config(model=overrides.pop("model", None), progress=False, **overrides)
        tic = time.perf_counter()
        report = evaluate(
            items,
            interactions,
            args.split,
            ["app"],
            args.seeds,
            config,
            args.max_readers,
            log,
            args.test_fraction,
            config,
            args.new_items,
        )
        result = {r["metric"]: (r["mean"], r["std"]) for r in report["results"]}
        rows.append(
            {
                "variant": name,
                "overrides": spec.partition("=")[2],
                "recall@20": result["recall@20"],
                "cold_recall@20": result["cold_recall@20"],
                "new_recall@20": result["new_recall@20"],
                "seconds": round(time.perf_counter() - tic),
                "config": plain(config),
            }
        )
        log(
            f"== {name}: recall@20 {result['recall@20']}, cold {result['cold_recall@20']}, new {result['new_recall@20']}, {rows[-1]['seconds']}s"
        )
        args.out.write_text(json.dumps(rows, indent=2))
    for row in rows:
        print(
            f"| {row['variant']} | `{row['overrides']}` | {row['recall@20'][0]:.4f} | {row['cold_recall@20'][0]} | {row['new_recall@20'][0]} | {row['seconds']} |"
        )


if __name__ == "__main__":
    main()
