"""bench/logq_small_k.py: per-epoch progress, a convergence flag per run, runs told apart by learning rate."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from bench.logq_small_k import converged, grid, summarise, table

BENCH = Path(__file__).resolve().parents[2] / "bench" / "logq_small_k.py"


def row(loss="logq", seed=0, lr=1e-3, epochs=8, best=8, patience=3, recall=0.2, cpu=80, k=16):
    return {
        "k": k,
        "loss": loss,
        "seed": seed,
        "recall@20": recall,
        "ndcg@20": recall / 2,
        "epochs": epochs,
        "best_epoch": best,
        "val_hit@20": [0.1] * epochs,
        "cpu_seconds": cpu,
        "config": {"lr": lr, "patience": patience},
    }


def test_a_run_is_converged_only_when_early_stopping_ended_it():
    assert converged(row(epochs=12, best=9, patience=3))
    assert converged(row(epochs=20, best=17, patience=3))  # stopped at the cap, but patience had run out
    assert not converged(row(epochs=20, best=20, patience=3))  # cut by the cap while improving
    assert not converged(row(epochs=20, best=18, patience=3))


def test_the_summary_keeps_learning_rates_apart_and_counts_converged_runs():
    rows = [
        row(seed=0, lr=1e-3, recall=0.20),
        row(seed=1, lr=1e-3, recall=0.22),
        row(seed=0, lr=3e-3, epochs=12, best=9, recall=0.25, cpu=120),
        row(seed=1, lr=3e-3, epochs=10, best=10, recall=0.27, cpu=100),
    ]
    stats = summarise(rows)
    assert set(stats) == {(16, 1e-3, "logq"), (16, 3e-3, "logq")}
    mean, std, n = stats[16, 3e-3, "logq"]["recall@20"]
    assert (mean, n) == (0.26, 2) and np.isclose(std, 0.01)
    assert stats[16, 3e-3, "logq"]["converged"] == 1 and stats[16, 1e-3, "logq"]["converged"] == 0
    assert stats[16, 3e-3, "logq"]["cpu_per_epoch"] == 10.0
    text = table(rows)
    assert "| 16 | 0.003 | logQ (Yi et al.) | 0.2600 ± 0.0100 |" in text and "| 1/2 | 3 | 9, 10 |" in text
    assert "| 16 | 0.003 | logQ (Yi et al.) | 1 | 0.2700 | 0.1350 | 10 | 10 | no | 100 |" in text
    resumed = row(seed=2, cpu=30) | {"epoch_cpu_seconds": [10.0] * 7 + [10.4]}  # its last invocation: 3 epochs
    assert table([resumed]).endswith("| 8 | 8 | no | 80 |")


def test_the_grid_has_a_line_per_k_a_column_per_loss_and_a_dash_where_a_loss_did_not_run():
    rows = [
        row(k=16, loss="logq", seed=0, recall=0.20),
        row(k=16, loss="logq", seed=1, recall=0.24, epochs=12, best=9),
        row(k=16, loss="full_softmax", recall=0.30),
        row(k=64, loss="logq", recall=0.25),
        row(k=64, loss="corrected_logq", recall=0.26),
    ]
    lines = grid(rows).splitlines()
    assert lines[0] == "| k | lr | corrected logQ | logQ (Yi et al.) | full softmax |"
    k16, k64 = (line.split(" | ") for line in lines[2:])
    assert k16[:4] == ["| 16", "0.001", "-", "0.2200 ± 0.0200 (n = 2, 1 converged)"]
    assert k16[4] == "0.3000 ± 0.0000 (n = 1, 0 converged) |"
    assert k64[:3] == ["| 64", "0.001", "0.2600 ± 0.0000 (n = 1, 0 converged)"] and k64[-1] == "- |"
    assert len(lines) == 4


def tiny_dataset(folder: Path) -> Path:
    """40 readers of 14 ratings each over 30 items, each reader walking the catalogue from their own start."""
    folder.mkdir()
    (folder / "items.jsonl").write_text("".join(json.dumps({"item_id": str(i)}) + "\n" for i in range(30)))
    lines = ["user_id,item_id,timestamp"]
    lines += [f"{u},{(u + 2 * t) % 30},{t}" for u in range(40) for t in range(14)]
    (folder / "interactions.csv").write_text("\n".join(lines) + "\n")
    return folder


def bench(data: Path, out: Path, lr: str) -> str:
    command = [sys.executable, str(BENCH), "run", "--data", str(data), "--out", str(out), "--ks", "4"]
    command += ["--losses", "corrected_logq", "--seeds", "1", "--epochs", "3", "--patience", "1", "--lr", lr]
    command += ["--max-len", "6", "--states", str(out.parent / "states")]
    done = subprocess.run(
        command, env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_run_logs_each_epoch_records_its_cost_and_resumes_by_learning_rate(tmp_path):
    data, out = tiny_dataset(tmp_path / "data"), tmp_path / "runs.jsonl"
    first = bench(data, out, "1e-2")
    (run,) = map(json.loads, out.read_text().splitlines())
    assert [line.count("epoch") for line in first.splitlines() if "val hit@20" in line] == [1] * run["epochs"]
    assert len(run["epoch_cpu_seconds"]) == len(run["train_loss"]) == len(run["val_hit@20"]) == run["epochs"]
    assert ("NOT converged" not in first) == converged(run)
    assert (tmp_path / "states" / "k4-corrected_logq-seed0-lr0.01.pt").exists()
    assert bench(data, out, "1e-2").count("val hit@20") == 0  # already in --out: skipped
    bench(data, out, "3e-2")  # another learning rate is another run
    assert [r["config"]["lr"] for r in map(json.loads, out.read_text().splitlines())] == [1e-2, 3e-2]
