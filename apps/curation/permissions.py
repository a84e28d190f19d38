"""Who may curate: members of the `editors` group (made by a migration) and superusers.

The one check for every page and action under /curation/ (this app's and other apps' alike):
`editor_required` for function views, `EditorRequiredMixin` for class-based ones. Anonymous visitors
are sent to log in (htmx requests by HX-Redirect, so the whole page goes, not a login form swapped
into a fragment); signed-in non-editors get 403, htmx requests included.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from apps.accounts.services import EDITORS_GROUP


def is_editor(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_editor", None)
    if cached is None:
        cached = user._is_editor = user.groups.filter(name=EDITORS_GROUP).exists()
    return cached


def login_redirect(request) -> HttpResponse:
    response = redirect_to_login(request.get_full_path())
    if getattr(request, "htmx", False):
        htmx_response = HttpResponse(status=401)
        htmx_response["HX-Redirect"] = response.url
        return htmx_response
    return response


def refusal(request) -> HttpResponse | None:
    """None when the request's user may curate; else the way to send them off (or PermissionDenied)."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    if not is_editor(request.user):
        raise PermissionDenied("Only editors may use the curation panel.")
    return None


def editor_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return refusal(request) or view(request, *args, **kwargs)

    return wrapper


class EditorRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        return refusal(request) or super().dispatch(request, *args, **kwargs)
