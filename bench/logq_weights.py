"""How hard each sampled loss pushes a row's positive, against the full softmax, at small k.

    python bench/logq_weights.py --data /work/datasets/ml-1m var/logq_small_k_states/k16-*.pt

The full softmax's gradient on the positive's score is -(1 - P_p), P_p its probability over the
whole catalogue. The sampled losses replace P_p with an estimate from the k candidates:
no correction: softmax(s_p, s_j)_p; logQ (Yi et al.): softmax(s_p - log Q(p), s_j - log Q(n_j))_p;
corrected logQ: its weight w = 1 - p_hat (recsys.loss). For a trained model (a `bench/logq_small_k.py`
state file, the latest epoch's weights) this runs the training objective on seeded batches of k
training sequences in eval mode, records each row's estimate as the loss sees it, and prints the
mean positive weight (1 - estimate) of each loss beside the true 1 - P_p. Under Adam a constant
factor on every gradient cancels; what changes training is how the weight is spread over rows, so
the table also splits rows by their positive's popularity q(p) (thirds of the rows) and keeps
apart the rows the model already ranks well (true P_p >= 0.01).
"""

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from recsys import loss as losses  # noqa: E402
from recsys import objective  # noqa: E402
from recsys.data import training_sequences, trim_padding  # noqa: E402
from recsys.evaluate import load_dataset  # noqa: E402
from recsys.model import ModelConfig, TwoTower  # noqa: E402
from recsys.sampling import ExactFrequency  # noqa: E402
from recsys.splits import split  # noqa: E402
from recsys.train import catalogue_features, split_readers  # noqa: E402


def recorder(estimates: dict):
    """Stand-ins for objective's loss functions that keep each row's estimate of P_p, then compute the loss."""

    def sampled(pos, neg, valid):
        log_z, k = losses.masked_logsumexp(neg, valid)
        estimates["no correction"].append(torch.where(k > 0, torch.sigmoid(pos - log_z), 1.0))
        return losses.sampled_softmax_loss(pos, neg, valid)

    def logq(pos, neg, valid, log_q_pos, log_q_neg):
        log_z, k = losses.masked_logsumexp(neg, valid, log_q_neg)
        estimates["logQ (Yi et al.)"].append(torch.where(k > 0, torch.sigmoid(pos - log_q_pos - log_z), 1.0))
        estimates["log q(p)"].append(log_q_pos)
        return losses.logq_loss(pos, neg, valid, log_q_pos, log_q_neg)

    def corrected(pos, neg, valid, log_q_cond):
        log_z, k = losses.masked_logsumexp(neg, valid, log_q_cond)
        p_hat = torch.sigmoid(pos - (log_z - torch.log(k.clamp_min(1).float())))  # as recsys.loss computes w
        estimates["corrected logQ"].append(torch.where(k > 0, p_hat, 1.0))
        return losses.corrected_logq_loss(pos, neg, valid, log_q_cond)

    def full(logits, target):
        estimates["full softmax (truth)"].append(torch.softmax(logits.float(), -1).gather(1, target[:, None])[:, 0])
        return losses.full_softmax_loss(logits, target)

    return {
        "sampled_softmax_loss": sampled,
        "logq_loss": logq,
        "corrected_logq_loss": corrected,
        "full_softmax_loss": full,
    }


@torch.no_grad()
def estimates_of(model, train_seqs: dict, catalogue, frequency, k: int, batches: int, seed: int) -> dict:
    names = ("full softmax (truth)", "no correction", "logQ (Yi et al.)", "corrected logQ", "log q(p)")
    estimates = {name: [] for name in names}
    stand_ins = recorder(estimates)
    originals = {name: getattr(objective, name) for name in stand_ins}
    order = torch.randperm(len(train_seqs["items"]), generator=torch.Generator().manual_seed(seed))
    try:
        for name, function in stand_ins.items():
            setattr(objective, name, function)
        for b in range(batches):
            batch = trim_padding({key: v[order[b * k : (b + 1) * k]] for key, v in train_seqs.items()})
            for loss in ("full_softmax", "in_batch", "logq", "corrected_logq"):
                torch.manual_seed(seed + b)  # the same candidates for every sampled loss
                objective.sequence_loss(model, batch, catalogue, loss, frequency, 0, k)
    finally:
        for name, function in originals.items():
            setattr(objective, name, function)
    return {name: torch.cat(rows).double().numpy() for name, rows in estimates.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("states", type=Path, nargs="+", help="state files of bench/logq_small_k.py runs")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--k", type=int, default=16)
    p.add_argument("--batches", type=int, default=60)
    p.add_argument("--max-len", type=int, default=ModelConfig.max_len)
    args = p.parse_args()
    torch.set_grad_enabled(False)
    items, interactions = load_dataset(args.data / "items.jsonl", args.data / "interactions.csv")
    data = split(interactions, "leave-one-out")
    catalogue = catalogue_features(items, "cpu")
    for path in args.states:
        state = torch.load(path, map_location="cpu", weights_only=False)
        seed = int(path.stem.split("seed")[1].split("-")[0])
        train_seqs, _ = split_readers(training_sequences(data.train, args.max_len), 0.05, seed)  # as train() did
        targets = train_seqs["items"][:, 1:]
        frequency = ExactFrequency(torch.bincount(targets[targets >= 0], minlength=len(items)))
        config = dataclasses.replace(ModelConfig(max_len=args.max_len), text_dim=0, id_buckets=len(items))
        model = TwoTower(config)
        model.load_state_dict(state["model"])
        model.eval()
        found = estimates_of(model, train_seqs, catalogue, frequency, args.k, args.batches, seed)
        truth, popularity = found.pop("full softmax (truth)"), found.pop("log q(p)")
        found = {"full softmax (truth)": truth, **found}
        cuts = np.quantile(popularity, [1 / 3, 2 / 3])
        groups = {
            "rarest third of positives": popularity <= cuts[0],
            "middle third": (popularity > cuts[0]) & (popularity <= cuts[1]),
            "most read third": popularity > cuts[1],
            f"P_p >= 0.01 ({np.mean(truth >= 0.01):.1%} of rows)": truth >= 0.01,
        }
        epoch = len(state["history"])
        print(f"\n{path.name}, epoch {epoch}: {len(truth)} rows, k = {args.k}; mean positive weight 1 - estimate")
        print("| estimate | all rows | " + " | ".join(groups) + " |")
        print("|---" * (len(groups) + 2) + "|")
        for name, estimate in found.items():
            cells = [f"{np.mean(1 - estimate[rows]):.3f}" if rows.any() else "—" for rows in groups.values()]
            print(f"| {name} | {np.mean(1 - estimate):.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
