"""Speaker sign-up: a session's page, claiming it with a paper, presenting from a paper page, editing a talk."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.papers.models import Paper
from apps.recommendations.models import Interaction
from apps.seminars import selectors, services
from apps.seminars.forms import ClaimForm, PresentForm, TalkForm
from apps.seminars.models import Session, Talk
from apps.seminars.services.rsvp import rsvp_state
from apps.seminars.services.talks import can_edit_talk

PRESENT_SOURCES = {"paper": Interaction.Source.PAPER_PAGE, "digest": Interaction.Source.DIGEST}


def session_detail(request, pk: int):
    session = get_object_or_404(selectors.with_talk(Session.objects.all()), pk=pk)
    return render(request, "seminars/session.html", _session_context(request, session, ClaimForm()))


def _session_context(request, session: Session, claim_form: ClaimForm) -> dict:
    talk = session.holding[0] if session.holding else None
    query = request.GET.get("q", "")
    return {
        "session": session,
        "series": session.series,
        "talk": talk,
        "claim_form": claim_form,
        "rsvp": rsvp_state(session=session, user=request.user),
        "is_organizer": session.series.is_organizer(request.user),
        "can_edit": talk is not None and can_edit_talk(talk, request.user),
        "is_free": talk is None and not session.is_cancelled and not session.is_past,
        "q": query,
        "choices": selectors.catalogue_choices(query),
    }


def paper_choices(request):
    """The catalogue search of the claim form (htmx); without JavaScript the session page does it (?q=)."""
    query = request.GET.get("q", "")
    return render(
        request, "seminars/session.html#paper-choices", {"q": query, "choices": selectors.catalogue_choices(query)}
    )


@login_required
@require_POST
def session_claim(request, pk: int):
    session = get_object_or_404(Session.objects.select_related("series"), pk=pk)
    form = ClaimForm(request.POST)
    if form.is_valid():
        try:
            talk = services.talk_claim(
                session=session,
                speaker=request.user,
                paper=form.cleaned_data["paper_obj"],
                title=form.cleaned_data["title"],
            )
        except services.TalkRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _claimed_message(talk))
            return redirect("seminars:session", pk=session.pk)
    session = selectors.with_talk(Session.objects.all()).get(pk=pk)
    return render(request, "seminars/session.html", _session_context(request, session, form), status=400)


def _claimed_message(talk: Talk) -> str:
    if talk.status == Talk.Status.PROPOSED:
        return "Thank you! Your talk is proposed; the organizers will confirm it."
    return "Thank you! You are presenting this session."


@login_required
def present_paper(request, arxiv_id: str):
    """'I'll present this' from a paper page or a digest card: pick one of the free sessions."""
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    sessions = selectors.free_sessions()
    form = PresentForm(request.POST or None, sessions=sessions)
    if request.method == "POST" and form.is_valid():
        source = PRESENT_SOURCES.get(request.POST.get("source"), Interaction.Source.SEMINAR)
        try:
            talk = services.talk_claim(
                session=form.cleaned_data["session"],
                speaker=request.user,
                paper=paper,
                title=form.cleaned_data["title"],
                source=source,
            )
        except services.TalkRefused as refused:
            form.add_error("session", str(refused))
        else:
            messages.success(request, _claimed_message(talk))
            return redirect("seminars:session", pk=talk.session_id)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "seminars/present.html",
        {"paper": paper, "form": form, "source": request.GET.get("source", request.POST.get("source", ""))},
        status=status,
    )


@login_required
def talk_edit(request, pk: int):
    talk = get_object_or_404(Talk.objects.select_related("session__series", "paper"), pk=pk)
    if not can_edit_talk(talk, request.user):
        raise PermissionDenied("Only the speaker or the organizers can edit this talk.")
    form = TalkForm(request.POST or None, instance=talk)
    if request.method == "POST" and form.is_valid():
        services.talk_update(
            talk=talk, by=request.user, **{name: form.cleaned_data[name] for name in TalkForm.Meta.fields}
        )
        messages.success(request, "Talk saved.")
        return redirect("seminars:session", pk=talk.session_id)
    return render(request, "seminars/talk_edit.html", {"talk": talk, "form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def talk_withdraw(request, pk: int):
    talk = get_object_or_404(Talk.objects.select_related("session__series"), pk=pk)
    try:
        services.talk_cancel(talk=talk, by=request.user)
    except services.TalkRefused as refused:
        raise PermissionDenied(str(refused)) from refused
    messages.success(request, "The talk is withdrawn; the session is open again.")
    return redirect("seminars:session", pk=talk.session_id)
