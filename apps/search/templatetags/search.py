import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from apps.search.selectors.keyword import MARK_START, MARK_STOP

register = template.Library()
INLINE_MATH = re.compile(r"\$[^$]+\$")


def _unmarked_math(text: str) -> str:
    # KaTeX renders $...$ in the browser; a <mark> inside it would leave the LaTeX raw.
    return INLINE_MATH.sub(lambda match: match.group(0).replace(MARK_START, "").replace(MARK_STOP, ""), text)


@register.filter
def highlighted(text: str | None) -> str:
    """ts_headline output as HTML: the paper's text escaped, only our markers turned into <mark>."""
    if not text:
        return ""
    text = _unmarked_math(text)
    safe = escape(text).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    # An unmatched marker (a fragment cut inside a match) must not leave a <mark> open.
    if safe.count("<mark>") != safe.count("</mark>"):
        safe = escape(text).replace(MARK_START, "").replace(MARK_STOP, "")
    return mark_safe(safe)
