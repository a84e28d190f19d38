"""The logQ correction where theory says it matters: few in-batch negatives, on MovieLens-1M.

    nice -n 10 python bench/logq_small_k.py run --data /work/datasets/ml-1m --out var/logq_small_k.jsonl
    python bench/logq_small_k.py report --runs var/logq_small_k.jsonl --svg docs/logq_small_k.svg

At k sequences per step the in-batch candidates are k of the batch's targets (a random subset of
draws from the popularity proposal Q is still a sample from Q), so k is both the batch and the
number of negatives, the regime of the gradient-bias table (bench/logq_bias.py) where the uncorrected
in-batch loss is biased toward popularity and Yi et al.'s logQ counts the positive as sampled.
Each (k, loss, seed) is one run of the harness's pieces: the leave-one-out split (each reader's last
rating held out), every reader's history in windows of max_len + 1 ratings (`--windows latest`: only
the latest window, as the paper's gSASRec code trains), early stopping on held-out readers,
recall@20 and NDCG@20 over every reader.
`run` appends one JSON line per finished run and skips runs already in --out; it keeps each run's
training state after every epoch under --states, so a stopped run goes on from its last epoch.
`report` prints the markdown tables (k by loss; then each (k, loss) with a convergence flag per
run) and draws the plot (mean ± std over seeds against k, and every run's validation curve by k).
"""

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from recsys.data import Interactions  # noqa: E402
from recsys.evaluate import fit_two_tower, load_dataset  # noqa: E402
from recsys.metrics import ranking_metrics  # noqa: E402
from recsys.model import ModelConfig  # noqa: E402
from recsys.splits import split  # noqa: E402
from recsys.train import TrainConfig  # noqa: E402

LOSSES = ("corrected_logq", "logq", "in_batch", "full_softmax")  # the last: the reference the others
# estimate (every item a candidate, k still the sequences per step), run only when asked
COLOR = {loss: f"C{i}" for i, loss in enumerate(LOSSES)}
LABELS = {
    "corrected_logq": "corrected logQ",
    "logq": "logQ (Yi et al.)",
    "in_batch": "no correction",
    "full_softmax": "full softmax",
}


def run(args) -> None:
    done = set()
    if args.out.exists():
        done = {run_key(r) for r in map(json.loads, args.out.read_text().splitlines())}
    items, interactions = load_dataset(args.data / "items.jsonl", args.data / "interactions.csv")
    data = split(interactions, "leave-one-out")
    if args.windows == "latest":
        # one sequence per reader, their latest events, as gSASRec (the logQ paper's code) trains;
        # `seen` still holds every training rating, so none of them is recommended back
        data = dataclasses.replace(data, train=latest(data.train, args.max_len + 1))
    print(f"{len(data.train)} training events, {len(data.readers)} readers, {len(items)} items", flush=True)
    for seed in range(
        args.first_seed, args.first_seed + args.seeds
    ):  # seed-major: a stopped run leaves every (k, loss) with the same seeds
        for k in args.ks:
            for loss in args.losses:
                if (k, loss, seed, args.lr) in done:
                    continue
                config = TrainConfig(
                    model=ModelConfig(max_len=args.max_len),
                    loss=loss,
                    batch_size=k,
                    in_batch_negatives=k,
                    epochs=args.epochs,
                    patience=args.patience,
                    lr=args.lr,
                    device="cpu",
                    progress=False,
                    seed=seed,
                )
                started, cpu_started = time.perf_counter(), time.process_time()

                def log_epoch(entry: dict, tag=f"k={k} {loss} seed {seed}") -> None:
                    print(
                        f"  {tag} epoch {entry['epoch']}: val hit@20 {entry['val_hit@20']:.4f} "
                        f"loss {entry['loss']:.4f} ({entry['seconds']:.0f}s, {entry['cpu_seconds']:.0f} CPU-s)",
                        flush=True,
                    )

                state = args.states / f"k{k}-{loss}-seed{seed}-lr{args.lr:g}.pt"  # after each epoch
                scorer, trained = fit_two_tower(config, data, items, seed, on_epoch=log_epoch, resume_from=state)
                metrics = ranking_metrics(scorer, data.readers, data.relevant, data.seen, len(items))
                row = {
                    "k": k,
                    "loss": loss,
                    "seed": seed,
                    "recall@20": metrics["recall@20"],
                    "ndcg@20": metrics["ndcg@20"],
                    "epochs": len(trained["history"]),
                    "best_epoch": trained["best_epoch"],
                    "val_hit@20": [round(h["val_hit@20"], 4) for h in trained["history"]],
                    "train_loss": [round(h["loss"], 4) for h in trained["history"]],
                    "epoch_cpu_seconds": [round(h["cpu_seconds"], 1) for h in trained["history"]],
                    "seconds": round(time.perf_counter() - started),
                    "cpu_seconds": round(time.process_time() - cpu_started),
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                    "windows": args.windows,
                    "config": dataclasses.asdict(dataclasses.replace(config, seed=0)),
                }
                with args.out.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                print(
                    f"k={k} {loss} seed {seed} lr {args.lr:g}: {'converged' if converged(row) else 'NOT converged'}, recall@20 {row['recall@20']:.4f} ndcg@20 {row['ndcg@20']:.4f} "
                    f"({row['epochs']} epochs, best {row['best_epoch']}, {row['seconds']}s, {row['cpu_seconds']} CPU-s) "
                    f"{row['val_hit@20']}",
                    flush=True,
                )


def latest(inter: Interactions, n: int) -> Interactions:
    """Each reader's last n interactions (in time order)."""
    order = np.lexsort((np.arange(len(inter)), inter.timestamps, inter.users))
    users = inter.users[order]
    new_reader = users[1:] != users[:-1]
    last_row = np.r_[np.flatnonzero(new_reader), len(users) - 1]  # of each reader, in sorted order
    rank = last_row[np.r_[0, np.cumsum(new_reader)]] - np.arange(len(users))  # 0: the reader's latest
    return inter.subset(np.sort(order[rank < n]))


def run_key(row: dict) -> tuple:
    """What makes a run: runs at another learning rate are other runs, not repeats."""
    return row["k"], row["loss"], row["seed"], row["config"]["lr"]


def converged(row: dict) -> bool:
    """Early stopping ended the run: `patience` epochs passed without a better validation score. A
    run cut by the epoch cap while still improving is not converged."""
    return row["epochs"] - row["best_epoch"] >= row["config"]["patience"]


def cpu_per_epoch(row: dict) -> float:
    """Training and validation CPU-seconds an epoch (older rows only have the run's total)."""
    per_epoch = row.get("epoch_cpu_seconds")
    return float(np.mean(per_epoch)) if per_epoch else row["cpu_seconds"] / row["epochs"]


def training_cpu(row: dict) -> int:
    """CPU-seconds of every epoch, those of earlier invocations too where the run was resumed
    (`cpu_seconds` is the last invocation's, its evaluation included)."""
    per_epoch = row.get("epoch_cpu_seconds")
    return round(sum(per_epoch)) if per_epoch else row["cpu_seconds"]


METRICS = ("recall@20", "ndcg@20")


def summarise(rows: list[dict]) -> dict:
    """{(k, lr, loss): {metric: (mean, std, n), "converged": n, "best_epochs": [...], "cpu_per_epoch": s}}
    over seeds (std: the population's, numpy's default)."""
    out = {}
    for key in sorted({(r["k"], r["config"]["lr"], r["loss"]) for r in rows}):
        runs = [r for r in rows if (r["k"], r["config"]["lr"], r["loss"]) == key]
        out[key] = {m: (np.mean([r[m] for r in runs]), np.std([r[m] for r in runs]), len(runs)) for m in METRICS}
        out[key]["converged"] = sum(map(converged, runs))
        out[key]["best_epochs"] = [r["best_epoch"] for r in sorted(runs, key=lambda r: r["seed"])]
        out[key]["cpu_per_epoch"] = float(np.mean([cpu_per_epoch(r) for r in runs]))
        out[key]["patience"] = sorted({r["config"]["patience"] for r in runs})
    return out


def ordered(stats: dict) -> list[tuple]:
    return sorted(stats, key=lambda key: (key[0], key[1], LOSSES.index(key[2])))


def grid(rows: list[dict]) -> str:
    """Markdown: k by loss, test recall@20 as mean ± std over seeds (runs, converged), one line
    per k and learning rate; a dash where a loss has no run at that k."""
    stats = summarise(rows)
    losses = [loss for loss in LOSSES if any(key[2] == loss for key in stats)]
    out = ["| k | lr | " + " | ".join(LABELS[loss] for loss in losses) + " |", "|---" * (len(losses) + 2) + "|"]
    for k, lr in sorted({key[:2] for key in stats}):
        cells = []
        for loss in losses:
            cell = stats.get((k, lr, loss))
            if cell is None:
                cells.append("-")
                continue
            mean, std, n = cell["recall@20"]
            cells.append(f"{mean:.4f} ± {std:.4f} (n = {n}, {cell['converged']} converged)")
        out.append(f"| {k} | {lr:g} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def table(rows: list[dict]) -> str:
    """Markdown: one line per (k, lr, loss) over seeds, then one per run."""
    stats = summarise(rows)
    out = [
        "| k | lr | loss | recall@20 | NDCG@20 | runs | converged | patience | best epoch by seed | CPU-s an epoch |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in ordered(stats):
        k, lr, loss = key
        cell = stats[key]
        out.append(
            f"| {k} | {lr:g} | {LABELS[loss]} | {cell['recall@20'][0]:.4f} ± {cell['recall@20'][1]:.4f} "
            f"| {cell['ndcg@20'][0]:.4f} ± {cell['ndcg@20'][1]:.4f} | {cell['recall@20'][2]} "
            f"| {cell['converged']}/{cell['recall@20'][2]} | {', '.join(map(str, cell['patience']))} "
            f"| {', '.join(map(str, cell['best_epochs']))} "
            f"| {cell['cpu_per_epoch']:.0f} |"
        )
    out += ["", "| k | lr | loss | seed | recall@20 | NDCG@20 | epochs | best | converged | CPU-s |", "|---" * 10 + "|"]
    for r in sorted(rows, key=lambda r: (r["k"], r["config"]["lr"], LOSSES.index(r["loss"]), r["seed"])):
        out.append(
            f"| {r['k']} | {r['config']['lr']:g} | {LABELS[r['loss']]} | {r['seed']} | {r['recall@20']:.4f} "
            f"| {r['ndcg@20']:.4f} | {r['epochs']} | {r['best_epoch']} | {'yes' if converged(r) else 'no'} "
            f"| {training_cpu(r)} |"
        )
    return "\n".join(out)


def report(args) -> None:
    rows = [json.loads(line) for line in args.runs.read_text().splitlines()]
    print(grid(rows), table(rows), sep="\n\n")
    if args.svg:
        plot(rows, args.svg)


def plot(rows: list[dict], path: Path) -> None:
    """recall@20 and NDCG@20 against k (mean ± std over seeds; one line per loss and learning rate),
    and below, one panel per k, every run's validation curve (hit@20 of held-out readers by epoch),
    its best epoch marked: filled where early stopping ended the run, hollow where the cap did."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = summarise(rows)
    ks = sorted({k for k, _, _ in stats})
    lrs = sorted({lr for _, lr, _ in stats})
    series = sorted({(lr, loss) for _, lr, loss in stats}, key=lambda s: (s[0], LOSSES.index(s[1])))
    style = {lr: ("-", "--", ":", "-.")[i % 4] for i, lr in enumerate(lrs)}

    def label(lr: float, loss: str) -> str:
        return LABELS[loss] + (f", lr {lr:g}" if len(lrs) > 1 else "")

    plt.rcParams["svg.hashsalt"] = "logq_small_k"  # the same data draws the same file
    columns = max(len(METRICS), len(ks))
    fig, grid_axes = plt.subplots(2, columns, figsize=(4.5 * columns, 8), squeeze=False)
    for ax in grid_axes[0, len(METRICS) :]:
        ax.axis("off")
    for ax, metric in zip(grid_axes[0], METRICS):
        for i, (lr, loss) in enumerate(series):
            xs = [k for k in ks if (k, lr, loss) in stats]
            shift = 1 + 0.03 * (i - (len(series) - 1) / 2)  # side by side, so the error bars do not hide each other
            ax.errorbar(
                [x * shift for x in xs],
                [stats[k, lr, loss][metric][0] for k in xs],
                yerr=[stats[k, lr, loss][metric][1] for k in xs],
                marker="o",
                capsize=3,
                linestyle=style[lr],
                label=label(lr, loss),
                color=COLOR[loss],
            )
        ax.set_xscale("log", base=2)
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.set_xlabel("k: sequences per step = in-batch negatives")
        ax.set_ylabel(f"test {metric}")
        ax.grid(alpha=0.3)
    for ax in grid_axes[1, len(ks) :]:
        ax.axis("off")
    for curves, k in zip(grid_axes[1], ks):
        for r in rows:
            if r["k"] != k:
                continue
            color, line = COLOR[r["loss"]], style[r["config"]["lr"]]
            curves.plot(range(1, r["epochs"] + 1), r["val_hit@20"], linestyle=line, color=color, alpha=0.6, lw=1)
            if r["best_epoch"]:
                best = r["val_hit@20"][r["best_epoch"] - 1]
                fill = color if converged(r) else "none"
                curves.plot([r["best_epoch"]], [best], "o", color=color, markerfacecolor=fill)
        curves.set_xlabel("epoch")
        curves.set_ylabel(f"validation hit@20 (k = {k}), every run")
        curves.grid(alpha=0.3)
    grid_axes[0, 0].legend(fontsize=8)
    fig.suptitle("MovieLens-1M, leave-one-out: mean ± std over seeds")
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="train and evaluate every (k, loss, seed) not yet in --out")
    r.add_argument("--data", type=Path, required=True, help="folder with items.jsonl and interactions.csv")
    r.add_argument("--out", type=Path, required=True, help="JSON lines, one per finished run (appended)")
    r.add_argument("--ks", type=lambda s: [int(x) for x in s.split(",")], default=[8, 16, 32, 64])
    r.add_argument("--losses", type=lambda s: s.split(","), default=list(LOSSES[:3]))
    r.add_argument("--seeds", type=int, default=3)
    r.add_argument("--first-seed", type=int, default=0, help="seeds first-seed.. (to split seeds over processes)")
    r.add_argument("--epochs", type=int, default=4, help="most epochs per run (early stopping on val hit@20)")
    r.add_argument(
        "--patience",
        type=int,
        default=2,
        help="epochs without a better validation hit@20 before stopping; an epoch is a pass over every "
        "window, so at k = 64 it has a quarter of the steps it has at k = 16 (equal patience in steps: 4x)",
    )
    r.add_argument(
        "--states",
        type=Path,
        default=Path("var/logq_small_k_states"),
        help="each run's training state after its latest epoch; a stopped run goes on from there",
    )
    r.add_argument("--lr", type=float, default=TrainConfig.lr)
    r.add_argument("--max-len", type=int, default=ModelConfig.max_len)
    r.add_argument(
        "--windows",
        choices=("all", "latest"),
        default="all",
        help="train on every reader's whole history cut in windows of max-len + 1 (as the harness does), "
        "or only on each reader's latest window (as gSASRec does: a quarter of ML-1M's ratings, too little "
        "to converge at small k)",
    )
    g = sub.add_parser("report", help="table and plot of the runs so far")
    g.add_argument("--runs", type=Path, required=True)
    g.add_argument("--svg", type=Path)
    args = p.parse_args()
    run(args) if args.command == "run" else report(args)


if __name__ == "__main__":
    main()
