"""Who may curate: members of the `editors` group (made by a migration) and superusers.

The one check for every page and action under /curation/ (this app's and other apps' alike):
`editor_required` for function views, `EditorRequiredMixin` for class-based ones. Anonymous visitors
are sent to log in; signed-in non-editors get 403, htmx requests included.
"""
from functools import wraps

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

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


def editor_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_editor(request.user):
            raise PermissionDenied("Only editors may use the curation panel.")
        return view(request, *args, **kwargs)

    return wrapper


class EditorRequiredMixin(AccessMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_editor(request.user):
            raise PermissionDenied("Only editors may use the curation panel.")
        return super().dispatch(request, *args, **kwargs)
