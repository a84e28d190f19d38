"""One split, every method on it: the two-tower methods trained per seed, the baselines fitted,
each scored by recsys.metrics; recsys.evaluate.report summarises the runs."""

import dataclasses
import time
from pathlib import Path

import numpy as np

from recsys.app import app_train_config
from recsys.baselines import BASELINES, CONFIG, FIT, SEEDLESS, needs, reusing_inverses
from recsys.data import Interactions, ItemTable, read_interactions_csv, read_items_jsonl
from recsys.embeddings import DEFAULT_CACHE, embed_texts
from recsys.evaluate.report import METRICS, plain, summary
from recsys.metrics import ranking_metrics
from recsys.objective import METHODS, parse_method
from recsys.scoring import served_scorer
from recsys.splits import Split, split
from recsys.train import TrainConfig, catalogue_features, train

DEFAULT_METHODS = ("app", "popularity", "content_knn", "user_logreg", "tfidf_svm", "item_knn", "ease")
# app: exactly what apps/recommendations trains (recsys.app), whatever the other flags say,
# except the device and the epoch cap of this run. The default report is the app against every
# baseline (random is a floor, not a baseline); the two-tower loss variants are opt-in, since
# each trains seeds x epochs more (the full softmax scores every item per example: slow past ~10k)
KNOWN_METHODS = ("app", *METHODS, *BASELINES)
METHOD_GROUPS = {"default": DEFAULT_METHODS, "two_tower": METHODS, "all": KNOWN_METHODS}
VALIDATION = {"random": "library", "leave-one-out": "next_item", "temporal": "next_item"}
# what a two-tower run's validation readers judge on each split (TrainConfig.validation): what its
# test readers are judged on, papers held out of a library or the items that come next
EXAMPLE_BUDGET = 3_000_000  # training examples per run when --epochs is not given


def expand_methods(names: str) -> list[str]:
    """'default,logq' -> the default methods then logq: group names expanded, repeats dropped.
    Raises ValueError naming the unknown ones."""
    picked = [m for name in names.split(",") if name for m in METHOD_GROUPS.get(name, (name,))]
    unknown = [m for m in picked if m not in KNOWN_METHODS]
    if unknown:
        raise ValueError(
            f"unknown method(s) {', '.join(unknown)}; known: {', '.join(KNOWN_METHODS)}, "
            f"or a group: {', '.join(METHOD_GROUPS)}"
        )
    return list(dict.fromkeys(picked))


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


def fit_two_tower(config: TrainConfig, data: Split, items: ItemTable, seed: int, **train_options):
    """Trains a two-tower model on data.train; returns a scorer over the catalogue (every item as
    the app serves it: its id vector too where the model learned one, against the user vector of the
    reader's latest max_len events or, where the tower reads it, their whole library; plus the mean weight of the
    library's item-item neighbours where training returned some, and for papers nobody read the
    lift training chose, recsys/cold.py) and the training metrics.
    train_options: `train`'s (on_epoch, resume_from)."""
    model, trained = train(items, data.train, dataclasses.replace(config, seed=seed), **train_options)
    catalogue = catalogue_features(items, model.log_temperature.device)
    score = served_scorer(model, data.train, catalogue, trained.get("neighbors"), trained.get("new_papers"))
    return score, trained


@reusing_inverses()  # EASE on nearly the same readers, again and again: the app's starts and refit, ease
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
    new_items: float = 0.0,
) -> dict:
    data = split(interactions, split_name, test_fraction=test_fraction, new_items=new_items)
    if len(data.readers) > max_readers:  # a fixed sample, the same for every method and seed
        keep = np.sort(np.random.default_rng(0).choice(len(data.readers), max_readers, replace=False))
        data = Split(data.train, data.readers[keep], [data.relevant[i] for i in keep], [data.seen[i] for i in keep])
    cold = np.flatnonzero(np.bincount(data.train.items[data.train.positive], minlength=len(items)) == 0)
    log(
        f"split {split_name}: {len(data.train)} training events, {len(data.readers)} readers evaluated, {len(items)} items "
        f"({len(cold)} never read in training)"
    )
    results, configs = {}, {}
    # ease first: its exact inverse on every training reader is what the app's EASE starts update (reusing_inverses)
    for method in sorted(methods, key=lambda method: method != "ease"):
        requirement = needs(method)
        if requirement and getattr(items, requirement) is None:
            log(f"skipping {method}: the items have no {requirement}")
            continue
        runs, tic, cpu, n_seeds = [], time.perf_counter(), time.process_time(), 1 if method in SEEDLESS else seeds
        for seed in range(n_seeds):
            started, cpu_started, note = time.perf_counter(), time.process_time(), ""
            if method in BASELINES:
                scorer = FIT[method](data.train, items, seed)
                configs[method] = {**CONFIG.get(method, {}), **getattr(scorer, "config", {})}
            else:
                config = dataclasses.replace(
                    two_tower_config(method, items, base, app),
                    validation=VALIDATION[split_name],
                    val_held_out=test_fraction,
                )
                scorer, trained = fit_two_tower(config, data, items, seed)
                configs[method] = plain(dataclasses.replace(config, seed=None, progress=None))
                curve = " ".join(("start " * (h["epoch"] == 0)) + f"{h['val_hit@20']:.3f}" for h in trained["history"])
                epochs = sum(h["epoch"] > 0 for h in trained["history"])
                note = f", {epochs} epoch(s), best {trained['best_epoch']} (val hit@20 {curve})"
                if config.neighbors:
                    chosen = {k: v for k, v in trained.items() if k.startswith("neighbors_") and "hit" not in k}
                    configs[method]["neighbors_chosen"] = plain(chosen)  # the last seed's
                    note += f", neighbours {chosen}"
                if trained.get("new_papers_val_targets"):
                    placed = {k: v for k, v in trained.items() if k.startswith("new_papers")}
                    configs[method]["new_papers_chosen"] = plain(placed)  # the last seed's
                    note += f", new papers {trained['new_papers']}"
            runs.append(ranking_metrics(scorer, data.readers, data.relevant, data.seen, len(items), cold=cold))
            if n_seeds > 1 or note:
                log(
                    f"  {method} seed {seed + 1}/{n_seeds}: {time.perf_counter() - started:.0f}s "
                    f"({time.process_time() - cpu_started:.0f} CPU-s){note}, recall@20 {runs[-1]['recall@20']:.4f}"
                )
        log(
            f"{method}: {time.perf_counter() - tic:.0f}s ({time.process_time() - cpu:.0f} CPU-s) for {len(runs)} seed(s), recall@20 {np.mean([r['recall@20'] for r in runs]):.4f}, "
            f"cold recall@20 {np.mean([r['cold_recall@20'] for r in runs]):.4f}, "
            f"new recall@20 {np.mean([r['new_recall@20'] for r in runs]):.4f}"
        )
        results[method] = [summary(method, metric, [r[metric] for r in runs]) for metric in METRICS]
    return {
        "split": split_name,
        "test_fraction": test_fraction if split_name != "leave-one-out" else None,
        "new_items": new_items or None,
        "data": {
            "training_events": len(data.train),
            "readers_evaluated": len(data.readers),
            "items": len(items),
            "seeds": seeds,
        },
        "configs": configs,
        "results": [row for method in methods for row in results.get(method, [])],  # in the asked order
    }
