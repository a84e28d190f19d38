from django import template

from apps.curation.permissions import is_editor as _is_editor

register = template.Library()


@register.filter
def is_editor(user) -> bool:
    return _is_editor(user)


@register.filter
def version_metrics(version, metrics) -> list[str | None]:
    """The version's value of each metric, 4 decimals, None when absent (a failed run)."""
    return [_fixed(version.metrics.get(metric)) for metric in metrics]


@register.filter
def baseline_metrics(version, method) -> list[str | None]:
    from apps.curation.selectors.operations import METRICS

    values = version.baselines.get(method, {})
    return [_fixed(values.get(metric)) for metric in METRICS]


def _fixed(value) -> str | None:
    return None if value is None else f"{value:.4f}"
