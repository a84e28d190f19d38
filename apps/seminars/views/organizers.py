"""The organizers' pages: the term, proposals to decide, sessions to move or cancel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.seminars import selectors, services
from apps.seminars.forms import DecisionForm, SessionForm, TermForm
from apps.seminars.models import SeminarSeries, Session, Talk


@login_required
def series_manage(request, slug: str):
    series = get_object_or_404(SeminarSeries, slug=slug)
    _require_organizer(request, series)
    form = TermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sessions = services.term_generate(series=series, **form.cleaned_data)
        messages.success(request, f"{len(sessions)} sessions in the term.")
        return redirect("seminars:manage", slug=slug)
    proposals = Talk.objects.filter(session__series=series, status=Talk.Status.PROPOSED).select_related(
        "session", "speaker", "paper"
    )
    return render(
        request,
        "seminars/manage.html",
        {
            "series": series,
            "form": form,
            "sessions": selectors.upcoming_sessions(series=series),
            "proposals": proposals,
            "decision_form": DecisionForm(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def talk_decide(request, pk: int):
    talk = get_object_or_404(Talk.objects.select_related("session__series"), pk=pk)
    _require_organizer(request, talk.session.series)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.talk_decide(
                talk=talk, confirm=form.cleaned_data["decision"] == "confirm", message=form.cleaned_data["message"]
            )
            messages.success(request, f"“{talk.title}”: {form.cleaned_data['decision']}ed; the speaker is told.")
        except services.TalkRefused as refused:
            messages.error(request, str(refused))
    else:
        messages.error(request, "Choose confirm or decline.")
    return redirect("seminars:manage", slug=talk.session.series.slug)


@login_required
def session_edit(request, pk: int):
    session = get_object_or_404(Session.objects.select_related("series"), pk=pk)
    _require_organizer(request, session.series)
    form = SessionForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.session_update(
            session=session,
            start=data["start"],
            duration=data["minutes"],
            place=data["place"],
            capacity=data["capacity"],
        )
        messages.success(request, "Session saved; the speaker and attendees are told of any move.")
        return redirect("seminars:manage", slug=session.series.slug)
    return render(
        request, "seminars/session_edit.html", {"session": session, "form": form}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def session_cancel(request, pk: int):
    session = get_object_or_404(Session.objects.select_related("series"), pk=pk)
    _require_organizer(request, session.series)
    services.session_cancel(session=session)
    messages.success(request, "Session cancelled; the speaker and attendees are told.")
    return redirect("seminars:manage", slug=session.series.slug)


def _require_organizer(request, series: SeminarSeries) -> None:
    if not series.is_organizer(request.user):
        raise PermissionDenied("Only the series' organizers can do this.")
