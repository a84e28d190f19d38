"""The harness's report: mean ± std over seeds per method and metric, JSON-safe configurations,
and the markdown table the command prints."""

import dataclasses
import json

import numpy as np

from recsys.metrics import KS

METRICS = [
    *(f"{m}@{k}" for m in ("recall", "ndcg") for k in KS),
    *(f"coverage@{k}" for k in KS),
    "cold_recall@20",  # new papers among all papers (For you)
    "new_recall@20",  # ... and among the new papers only (a week's digest)
]


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
