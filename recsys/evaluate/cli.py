"""`python -m recsys.evaluate`: the harness's command line."""

import argparse
import json
import sys
from pathlib import Path

from recsys.data import InputError
from recsys.embeddings import DEFAULT_CACHE
from recsys.evaluate import harness
from recsys.evaluate.report import markdown_table
from recsys.model import ModelConfig
from recsys.splits import SPLITS
from recsys.train import TrainConfig


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


class _HelpWithDefaults(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's default after its help, except where there is none to state (required, or
    computed from the data: the help says how)."""

    def _get_help_string(self, action):
        return action.help if action.default is None else super()._get_help_string(action)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m recsys.evaluate",
        description="Compare the app's retriever, two-tower losses and baselines on one split.",
        formatter_class=_HelpWithDefaults,
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
        "--new-items",
        type=lambda text: 0.0 if float(text) == 0 else fraction(text),
        default=0.0,
        help="share of the read papers also held out whole (all their events in test): papers new to the "
        "model, for cold_recall@20 and new_recall@20 over many readers",
    )
    p.add_argument(
        "--methods",
        default="default",
        help=f"comma-separated methods and groups, from {', '.join(harness.KNOWN_METHODS)}; groups: default "
        f"(the app against every baseline: {','.join(harness.DEFAULT_METHODS)}), two_tower (the loss variants "
        f"{','.join(harness.METHOD_GROUPS['two_tower'])}; full_softmax scores every item per example, slow past "
        f"~10,000 items), all; e.g. default,logq",
    )
    p.add_argument(
        "--seeds", type=at_least(1), default=3, help="training seeds per seeded method (mean ± std over them)"
    )
    p.add_argument(
        "--epochs",
        type=at_least(1),
        help=f"most epochs per two-tower run, with early stopping (default: "
        f"{harness.EXAMPLE_BUDGET:,} training examples' worth, between 3 and {TrainConfig.epochs})",
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
    try:
        methods = harness.expand_methods(args.methods)
    except ValueError as e:
        p.error(str(e))
    for flag, path in (("--items", args.items), ("--interactions", args.interactions)):
        if not path.is_file():
            p.error(f"{flag}: no such file: {path}")

    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    try:
        items, interactions = harness.load_dataset(args.items, args.interactions, args.cache_dir)
    except InputError as e:
        p.exit(2, f"{p.prog}: error: {e}\n")
    model = ModelConfig(max_len=args.max_len, dim=args.dim)
    epochs = args.epochs if args.epochs is not None else harness.default_epochs(len(interactions))
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
    report = harness.evaluate(
        items,
        interactions,
        args.split,
        methods,
        args.seeds,
        base,
        args.max_readers,
        log,
        args.test_fraction,
        new_items=args.new_items,
    )
    args.out.write_text(json.dumps(report, indent=2))
    print(markdown_table(report))
