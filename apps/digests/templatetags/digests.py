from django import template

from apps.digests.notes import note_html

register = template.Library()


@register.filter
def note(text: str) -> str:
    """An editors' note, Markdown rendered and sanitized."""
    return note_html(text)
