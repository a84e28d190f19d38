"""RSVP to a session; htmx swaps the button, a plain POST redirects back with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.seminars import services
from apps.seminars.models import Session
from apps.seminars.services.rsvp import rsvp_state


@login_required
@require_POST
def session_rsvp(request, pk: int):
    session = get_object_or_404(Session.objects.select_related("series"), pk=pk)
    error = ""
    if request.POST.get("going") == "1":
        try:
            services.rsvp_join(session=session, user=request.user)
        except services.RSVPRefused as refused:
            error = str(refused)
    else:
        services.rsvp_cancel(session=session, user=request.user)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("seminars:session", pk=pk)
    context = {"session": session, "rsvp": rsvp_state(session=session, user=request.user), "rsvp_error": error}
    return render(request, "seminars/session.html#rsvp", context)
