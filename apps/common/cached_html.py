"""HTML that can be cached across requests although its forms carry a per-request CSRF token.

A page rendered with `placeholder_token()` in its context holds the same marker wherever a form
has `{% csrf_token %}` (or a header names `{{ csrf_token }}`); `filled(request, html)` puts this
request's own token there. So a rendered page or fragment can be kept for its reader, or a button
block for every reader, and each response still carries a token that matches the browser's cookie,
after a login rotated it or on a second device.
"""

from django.middleware.csrf import get_token

# Survives HTML escaping unchanged and cannot come from a token (tokens are 64 letters and digits).
CSRF_PLACEHOLDER = "csrf-token-placeholder-5c1e"


def placeholder_token() -> dict[str, str]:
    """Context that renders every CSRF token as the placeholder."""
    return {"csrf_token": CSRF_PLACEHOLDER}


def filled(request, html: str) -> str:
    """`html` with this request's CSRF token where the placeholder is (and the CSRF cookie set, as
    rendering a token would)."""
    if CSRF_PLACEHOLDER not in html:
        return html
    return html.replace(CSRF_PLACEHOLDER, get_token(request))
