from django import template

from apps.papers.bibtex import bibtex_entry
from apps.papers.weeks import Week

register = template.Library()


@register.filter
def iso_week(day) -> str:
    return Week.containing(day).label


@register.filter
def bibtex(paper) -> str:
    return bibtex_entry(paper)
