"""Server-side SVG charts of the model versions (matplotlib, no JavaScript): escaped text, fixed size."""

import io

import matplotlib
from matplotlib.figure import Figure

from apps.recommendations.models import ModelVersion

SIZE = (7, 3)
# Figures made directly, not through pyplot: no global figure state shared between request threads.
matplotlib.rcParams.update(
    {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
)


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    return buffer.getvalue()


def _empty(message: str) -> str:
    figure = Figure(figsize=SIZE)
    axes = figure.subplots()
    axes.axis("off")
    axes.text(0.5, 0.5, message, ha="center", va="center")
    return _svg(figure)


def metric_over_versions(versions: list[ModelVersion], *, metric: str, baselines: list[str]) -> str:
    """The metric for each trained version (oldest first), each baseline's value on the same data beside it."""
    versions = [v for v in sorted(versions, key=lambda v: v.pk) if metric in v.metrics]
    if not versions:
        return _empty("No trained versions yet.")
    figure = Figure(figsize=SIZE)
    axes = figure.subplots()
    labels = [f"#{v.pk}" for v in versions]
    axes.plot(labels, [v.metrics[metric] for v in versions], marker="o", label="two-tower", linewidth=2)
    for method in baselines:
        values = [v.baselines.get(method, {}).get(metric) for v in versions]
        axes.plot(labels, [float("nan") if x is None else x for x in values], marker=".", linestyle="--", label=method)
    active = [i for i, v in enumerate(versions) if v.status == ModelVersion.Status.ACTIVE]
    for index in active:
        axes.annotate(
            "active", (index, versions[index].metrics[metric]), textcoords="offset points", xytext=(0, 8), ha="center"
        )
    axes.set_xlabel("model version")
    axes.set_ylabel(metric)
    axes.legend(frameon=False, fontsize=8)
    return _svg(figure)


def training_loss(version: ModelVersion) -> str:
    """Training loss per epoch (and validation hit@20 on a second axis) of one run."""
    history = [row for row in version.history if "loss" in row]
    if not history:
        return _empty(f"Model #{version.pk} recorded no training history.")
    figure = Figure(figsize=SIZE)
    axes = figure.subplots()
    epochs = [row["epoch"] for row in history]
    axes.plot(epochs, [row["loss"] for row in history], marker="o", label="training loss")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")
    hits = [row.get("val_hit@20") for row in history]
    if any(h is not None for h in hits):
        second = axes.twinx()
        second.plot(
            epochs,
            [float("nan") if h is None else h for h in hits],
            color="tab:orange",
            linestyle="--",
            label="validation hit@20",
        )
        second.set_ylabel("validation hit@20")
        second.spines["top"].set_visible(False)
    axes.set_title(f"Model #{version.pk}")
    return _svg(figure)
