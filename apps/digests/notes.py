"""Editors' notes: Markdown in, sanitized HTML out (python-markdown renders, nh3 keeps only safe tags)."""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def note_html(text: str) -> SafeString:
    """The note as HTML safe to put in a page or an email: raw HTML in the Markdown is escaped, not
    trusted (markdown's output goes through nh3: scripts, handlers, styles and javascript: links go);
    links get rel="noopener noreferrer nofollow"."""
    if not text:
        return mark_safe("")
    html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    return mark_safe(
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
        )
    )
