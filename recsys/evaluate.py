"""Evaluation harness: every method on one split, mean ± std over seeds, one table.

    python -m recsys.evaluate --items items.jsonl --interactions interactions.csv \
        --split temporal --seeds 3 --out report.json

Writes {"split", "test_fraction", "data", "configs": {method: its configuration},
"results": [{"method", "metric", "mean", "std"}, ...]} and prints a markdown table of the results
and each method's configuration. recsys/README.md documents the input formats.
"""

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from recsys.app import app_train_config
from recsys.baselines import BASELINES, CONFIG, FIT, SEEDLESS, needs
from recsys.data import InputError, Interactions, ItemTable, last_histories, read_interactions_csv, read_items_jsonl
from recsys.embeddings import DEFAULT_CACHE, embed_texts
from recsys.metrics import KS, ranking_metrics
from recsys.model import ModelConfig
from recsys.objective import METHODS, parse_method
from recsys.splits import SPLITS, Split, split
from recsys.train import TrainConfig, catalogue_features, train

DEFAULT_METHODS = (
    "app",
    "corrected_logq",
    "logq",
    "in_batch",
    "mns_corrected_logq",
    "full_softmax",
    "popularity",
    "content_knn",
    "user_logreg",
    "tfidf_svm",
    "item_knn",
    "ease",
)
# app: exactly what apps/recommendations trains (recsys.app), whatever the other flags say,
# except the device and the epoch cap of this run
KNOWN_METHODS = ("app", *METHODS, *BASELINES)
METRICS = [f"{m}@{k}" for m in ("recall", "ndcg") for k in KS] + [f"coverage@{k}" for k in KS] + ["cold_recall@20"]
EXAMPLE_BUDGET = 3_000_000  # training examples per run when --epochs is not given
# The full softmax scores every example against the whole catalogue, so its cost per example grows
# with N: at 10k items it is about five times a sampled loss's with ~2k negatives. Past that the
# default run leaves it out (naming it in --methods still runs it).
FULL_SOFTMAX_DEFAULT_MAX_ITEMS = 10_000


def default_epochs(n_interactions: int) -> int:
    """Epochs for about EXAMPLE_BUDGET training examples per run, between 3 and TrainConfig.epochs.

    Small data sets get all the epochs early stopping wants; at 1M interactions every run gets 3,
    so the default harness (five two-tower methods x 3 seeds, and the baselines) finishes in tens
    of minutes on a 2-core CPU (docs/benchmarks.md). Pass --epochs for longer training.
    """
    return max(3, min(TrainConfig.epochs, round(EXAMPLE_BUDGET / max(n_interactions, 1))))


def load_dataset(
    items_path: Path, interactions_path: Path, cache_dir: Path = DEFAULT_CACHE
) -> tuple[ItemTable, Interactions]:
    items = read_items_jsonl(items_path)
    if items.embeddings is None and items.texts is not None:
        items.embeddings = embed_texts(items.texts, cache_dir, progress=True)
    return items, read_interactions_csv(interactions_path, items)


def two_tower_config(method: str, items: ItemTable, base: TrainConfig, app: TrainConfig | None = None) -> TrainConfig:
    """The TrainConfig a two-tower method runs with: for `app`, `app` if given (the app passes what
    it is about to train) else recsys.app's with this run's device and epoch cap; for the others
    `base` with the method's loss and negatives."""
    if method == "app":
        return app or app_train_config(
            device=base.device, progress=base.progress, epochs=min(app_train_config().epochs, base.epochs)
        )
    loss, mixed = parse_method(method)
    return dataclasses.replace(
        base, loss=loss, uniform_negatives=min(base.uniform_negatives, len(items)) if mixed else 0
    )


def fit_two_tower(config: TrainConfig, data: Split, items: ItemTable, seed: int):
    """Trains a two-tower model on data.train; returns a scorer over the catalogue (every item as
    the app serves it: its id vector too where the model learned one) and the training metrics."""
    model, trained = train(items, data.train, dataclasses.replace(config, seed=seed))
    device = model.log_temperature.device
    catalogue = catalogue_features(items, device)
    item_vectors = model.item_vectors(catalogue)
    histories = {k: v.to(device) for k, v in last_histories(data.train, model.config.max_len).items()}

    def score(readers: np.ndarray) -> torch.Tensor:
        rows = torch.as_tensor(readers, device=device)
        users = model.history_vectors(*(histories[k][rows] for k in ("items", "events", "gaps", "lengths")), catalogue)
        return (users @ item_vectors.T).float()

    return score, trained


def evaluate(
    items: ItemTable,
    interactions: Interactions,
    split_name: str,
    methods,
    seeds: int,
    base: TrainConfig,
    max_readers: int = 5000,
    log=print,
    test_fraction: float = 0.2,
    app: TrainConfig | None = None,
) -> dict:
    data = split(interactions, split_name, test_fraction=test_fraction)
    if len(data.readers) > max_readers:  # a fixed sample, the same for every method and seed
        keep = np.sort(np.random.default_rng(0).choice(len(data.readers), max_readers, replace=False))
        data = Split(data.train, data.readers[keep], [data.relevant[i] for i in keep], [data.seen[i] for i in keep])
    cold = np.flatnonzero(np.bincount(data.train.items[data.train.positive], minlength=len(items)) == 0)
    log(
        f"split {split_name}: {len(data.train)} training events, {len(data.readers)} readers evaluated, {len(items)} items "
        f"({len(cold)} never read in training)"
    )
    results, configs = [], {}
    for method in methods:
        requirement = needs(method)
        if requirement and getattr(items, requirement) is None:
            log(f"skipping {method}: the items have no {requirement}")
            continue
        runs, tic, n_seeds = [], time.perf_counter(), 1 if method in SEEDLESS else seeds
        for seed in range(n_seeds):
            started, note = time.perf_counter(), ""
            if method in BASELINES:
                scorer = FIT[method](data.train, items, seed)
                configs[method] = {**CONFIG.get(method, {}), **getattr(scorer, "config", {})}
            else:
                config = two_tower_config(method, items, base, app)
                scorer, trained = fit_two_tower(config, data, items, seed)
                configs[method] = plain(dataclasses.replace(config, seed=None, progress=None))
                note = f", {len(trained['history'])} epoch(s), best {trained['best_epoch']}"
            runs.append(ranking_metrics(scorer, data.readers, data.relevant, data.seen, len(items), cold=cold))
            if n_seeds > 1:
                log(
                    f"  {method} seed {seed + 1}/{n_seeds}: {time.perf_counter() - started:.0f}s{note}, recall@20 {runs[-1]['recall@20']:.4f}"
                )
        log(
            f"{method}: {time.perf_counter() - tic:.0f}s for {len(runs)} seed(s), recall@20 {np.mean([r['recall@20'] for r in runs]):.4f}, "
            f"cold recall@20 {np.mean([r['cold_recall@20'] for r in runs]):.4f}"
        )
        results += [summary(method, metric, [r[metric] for r in runs]) for metric in METRICS]
    return {
        "split": split_name,
        "test_fraction": test_fraction if split_name != "leave-one-out" else None,
        "data": {
            "training_events": len(data.train),
            "readers_evaluated": len(data.readers),
            "items": len(items),
            "seeds": seeds,
        },
        "configs": configs,
        "results": results,
    }


def summary(method: str, metric: str, values: list[float]) -> dict:
    """Mean and std over seeds; None for a metric with nothing to measure (cold_recall@20 when no
    held-out item is new), so the report stays valid JSON."""
    if np.isnan(values).any():
        return {"method": method, "metric": metric, "mean": None, "std": None}
    return {"method": method, "metric": metric, "mean": float(np.mean(values)), "std": float(np.std(values))}


def plain(value):
    """JSON-safe copy of configs (dataclasses, numpy numbers); None fields left out."""
    if dataclasses.is_dataclass(value):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def markdown_table(report: dict) -> str:
    methods = list(dict.fromkeys(r["method"] for r in report["results"]))
    cell = {
        (r["method"], r["metric"]): "—" if r["mean"] is None else f"{r['mean']:.4f} ± {r['std']:.4f}"
        for r in report["results"]
    }
    lines = ["| method | " + " | ".join(METRICS) + " |", "|---" * (len(METRICS) + 1) + "|"]
    lines += [f"| {m} | " + " | ".join(cell[(m, metric)] for metric in METRICS) + " |" for m in methods]
    lines += ["", "| method | configuration |", "|---|---|"]
    lines += [f"| {m} | `{json.dumps(report.get('configs', {}).get(m, {}), separators=(',', ':'))}` |" for m in methods]
    return "\n".join(lines)


def default_methods(n_items: int, log=print) -> list[str]:
    methods = list(DEFAULT_METHODS)
    if n_items > FULL_SOFTMAX_DEFAULT_MAX_ITEMS:
        methods.remove("full_softmax")
        log(
            f"full_softmax left out: {n_items:,} items is more than {FULL_SOFTMAX_DEFAULT_MAX_ITEMS:,} to score "
            f"every example against; name it in --methods to run it anyway"
        )
    return methods


def at_least(minimum: int):
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def fraction(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {value}")
    return value


def main(argv=None) -> None:
    p = argparse.ArgumentParser(
        description="Compare the app's retriever, two-tower losses and baselines on one split.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--items", type=Path, required=True, help="items.jsonl: item_id and text and/or embedding (recsys/README.md)"
    )
    p.add_argument(
        "--interactions", type=Path, required=True, help="interactions.csv: user_id,item_id,timestamp[,event]"
    )
    p.add_argument(
        "--split",
        choices=SPLITS,
        default="temporal",
        help="temporal: a global time cut; leave-one-out: "
        "each reader's last positive; random: a seeded share of each reader's positives (for libraries "
        "whose order means nothing)",
    )
    p.add_argument(
        "--test-fraction",
        type=fraction,
        default=0.2,
        help="share held out by the temporal (of time) and "
        "random (of each reader's positives) splits; leave-one-out ignores it",
    )
    p.add_argument(
        "--methods",
        help=f"comma-separated, from {', '.join(KNOWN_METHODS)} (default: "
        f"{','.join(DEFAULT_METHODS)}; full_softmax only up to {FULL_SOFTMAX_DEFAULT_MAX_ITEMS:,} items)",
    )
    p.add_argument(
        "--seeds", type=at_least(1), default=3, help="training seeds per seeded method (mean ± std over them)"
    )
    p.add_argument(
        "--epochs",
        type=at_least(1),
        help=f"most epochs per two-tower run, with early stopping (default: "
        f"{EXAMPLE_BUDGET:,} training examples' worth, between 3 and {TrainConfig.epochs})",
    )
    p.add_argument(
        "--batch-size",
        type=at_least(1),
        default=TrainConfig.batch_size,
        help="sequences per training step (the in-batch negatives come from them); not for app",
    )
    p.add_argument(
        "--in-batch-negatives",
        type=at_least(0),
        default=TrainConfig.in_batch_negatives,
        help="cap on the batch's targets used as negatives (0: all); not for app",
    )
    p.add_argument(
        "--uniform-negatives", type=at_least(0), default=1024, help="uniform draws per step for mns_* methods"
    )
    p.add_argument(
        "--max-len",
        type=at_least(1),
        default=ModelConfig.max_len,
        help="history events the user tower reads; not for app",
    )
    p.add_argument("--dim", type=at_least(1), default=ModelConfig.dim, help="vector width of both towers; not for app")
    p.add_argument(
        "--max-readers", type=at_least(1), default=5000, help="evaluate a fixed sample of at most this many readers"
    )
    p.add_argument("--device", default="auto", help="auto (CUDA when there is one), cpu, cuda, cuda:N")
    p.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="text embedding cache")
    p.add_argument("--out", type=Path, required=True, help="where to write the JSON report")
    args = p.parse_args(argv)
    unknown = [m for m in (args.methods or "").split(",") if m and m not in KNOWN_METHODS]
    if unknown:
        p.error(f"unknown method(s) {', '.join(unknown)}; known: {', '.join(KNOWN_METHODS)}")
    for flag, path in (("--items", args.items), ("--interactions", args.interactions)):
        if not path.is_file():
            p.error(f"{flag}: no such file: {path}")

    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    try:
        items, interactions = load_dataset(args.items, args.interactions, args.cache_dir)
    except InputError as e:
        p.exit(2, f"{p.prog}: error: {e}\n")
    model = ModelConfig(max_len=args.max_len, dim=args.dim)
    epochs = args.epochs if args.epochs is not None else default_epochs(len(interactions))
    log(f"{len(interactions)} interactions: up to {epochs} epochs per two-tower run")
    base = TrainConfig(
        model=model,
        epochs=epochs,
        batch_size=args.batch_size,
        device=args.device,
        in_batch_negatives=args.in_batch_negatives,
        uniform_negatives=args.uniform_negatives,
        progress=sys.stderr.isatty(),
    )
    methods = args.methods.split(",") if args.methods else default_methods(len(items), log)
    report = evaluate(
        items, interactions, args.split, methods, args.seeds, base, args.max_readers, log, args.test_fraction
    )
    args.out.write_text(json.dumps(report, indent=2))
    print(markdown_table(report))


if __name__ == "__main__":
    main()
