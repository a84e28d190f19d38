from django import template

from apps.papers.bibtex import bibtex_entry
from apps.papers.selectors import iso_week_label

register = template.Library()


@register.filter
def iso_week(day) -> str:
    return iso_week_label(day)


@register.filter
def bibtex(paper) -> str:
    return bibtex_entry(paper)
