"""MovieLens-1M as the logQ paper's code reads it, converted for `python -m recsys.evaluate`.

The logQ paper's repository (NonameUntitled/logq, a fork of asash/gSASRec-pytorch) reads
datasets/ml1m/{train,val,test}/{input,output}.txt but does not ship them (its README points to an
archive elsewhere); the upstream gSASRec-pytorch repository ships the same preprocessing (SASRec's
ml-1m: items with fewer than 5 ratings removed, 6,040 readers, 3,416 items, each reader's ratings in
time order), except test/input.txt. So each reader's sequence is rebuilt from what is there:

    train/input.txt   every reader's sequence without its last 2 items (last 3 for the 512 val readers)
    val/input.txt     the 512 val readers' sequences without their last 2 items
    val/output.txt    their second-to-last item;  test/output.txt: every reader's last item

The 5,528 other readers' second-to-last item is in no shipped file and is missing from their
history (5,528 of 999,611 ratings). Timestamps are positions (the order is all the data keeps), so
the harness's leave-one-out split holds out exactly the test item the paper evaluates on.

    python bench/ml1m_gsasrec.py --src DATASETS/ml1m --out /work/data-eval/ml1m
"""

import argparse
import csv
import json
from pathlib import Path

import numpy as np


def sequences(src: Path) -> list[list[int]]:
    read = lambda name: [line.split() for line in (src / name).read_text().splitlines()]  # noqa: E731
    train, test = read("train/input.txt"), [int(x[0]) for x in read("test/output.txt")]
    val_inputs, val_outputs = read("val/input.txt"), [int(x[0]) for x in read("val/output.txt")]
    # the 512 val readers, as the preprocessing drew them (users are 1-based, in file order)
    val_users = set(np.random.RandomState(42).choice(6040, 512, replace=False).tolist())
    val_rows = iter(zip(val_inputs, val_outputs))
    out = []
    for user, (history, last) in enumerate(zip(train, test), start=1):
        if user in val_users:
            val_input, val_target = next(val_rows)
            assert val_input[: len(history)] == history, f"reader {user}: val input does not extend train"
            out.append([int(x) for x in val_input] + [val_target, last])
        else:
            out.append([int(x) for x in history] + [last])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--src", type=Path, required=True, help="the datasets/ml1m folder")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    rows = sequences(args.src)
    args.out.mkdir(parents=True, exist_ok=True)
    items = sorted({i for seq in rows for i in seq})
    (args.out / "items.jsonl").write_text("".join(json.dumps({"item_id": str(i)}) + "\n" for i in items))
    with open(args.out / "interactions.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["user_id", "item_id", "timestamp"])
        for user, seq in enumerate(rows, start=1):
            writer.writerows((user, item, t) for t, item in enumerate(seq))
    print(f"{sum(map(len, rows))} ratings of {len(rows)} readers over {len(items)} items -> {args.out}")


if __name__ == "__main__":
    main()
