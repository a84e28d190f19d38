"""Seminar pages. Thin: forms validate, services write, selectors read; htmx gets the partials."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.papers.models import Paper
from apps.recommendations.models import Interaction
from apps.seminars import selectors, services
from apps.seminars.forms import ClaimForm, DecisionForm, PresentForm, SessionForm, TalkForm, TermForm
from apps.seminars.models import SeminarSeries, Session, Talk
from apps.seminars.services.clouds import IMAGE_NAME, clouds_dir, series_cloud_key
from apps.seminars.services.rsvp import rsvp_state
from apps.seminars.services.talks import can_edit_talk

CALENDAR_SALT = "seminars.calendar"
ICS = "text/calendar; charset=utf-8"
PRESENT_SOURCES = {"paper": Interaction.Source.PAPER_PAGE, "digest": Interaction.Source.DIGEST}


def schedule(request):
    return render(
        request,
        "seminars/schedule.html",
        {
            "all_series": SeminarSeries.objects.all(),
            "sessions": selectors.upcoming_sessions(),
        },
    )


def series_detail(request, slug: str):
    series = get_object_or_404(SeminarSeries, slug=slug)
    following = request.user.is_authenticated and series.followers.filter(pk=request.user.pk).exists()
    return render(
        request,
        "seminars/series.html",
        {
            "series": series,
            "sessions": selectors.upcoming_sessions(series=series),
            "following": following,
            "is_organizer": series.is_organizer(request.user),
        },
    )


@login_required
@require_POST
def series_follow(request, slug: str):
    series = get_object_or_404(SeminarSeries, slug=slug)
    if request.POST.get("follow") == "1":
        series.followers.add(request.user)
    else:
        series.followers.remove(request.user)
    following = series.followers.filter(pk=request.user.pk).exists()
    if request.htmx:
        return render(request, "seminars/series.html#follow", {"series": series, "following": following})
    return redirect("seminars:series", slug=slug)


def series_archive(request, slug: str):
    series = get_object_or_404(SeminarSeries, slug=slug)
    years = selectors.archive(series=series)
    return render(
        request,
        "seminars/archive.html",
        {
            "series": series,
            "years": years,
            "total": sum(len(talks) for _, talks in years),
            "cloud_key": series_cloud_key(series),
        },
    )


def series_calendar(request, slug: str):
    series = get_object_or_404(SeminarSeries, slug=slug)
    response = HttpResponse(services.series_calendar(series), content_type=ICS)
    response["Content-Disposition"] = f'inline; filename="{series.slug}.ics"'
    return response


def reader_calendar(request, token: str):
    """A reader's talks and RSVPs; the URL is the credential (a signed user id), for calendar apps."""
    try:
        user_id = signing.loads(token, salt=CALENDAR_SALT)
    except signing.BadSignature:
        raise Http404("Unknown calendar.") from None
    user = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    return HttpResponse(services.reader_calendar(user), content_type=ICS)


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


def speaker(request, user_id: int):
    person = get_object_or_404(get_user_model(), pk=user_id)
    talks = selectors.speaker_talks(speaker=person)
    if not talks:
        raise Http404("No talks by this reader.")
    return render(request, "seminars/speaker.html", {"person": person, "talks": talks, "name": talks[0].speaker_name})


@login_required
def mine(request):
    token = signing.dumps(request.user.pk, salt=CALENDAR_SALT)
    return render(
        request,
        "seminars/mine.html",
        {
            "talks": selectors.speaker_talks(speaker=request.user),
            "rsvps": selectors.reader_rsvps(user=request.user),
            "calendar_url": request.build_absolute_uri(reverse("seminars:reader-calendar", args=[token])),
        },
    )


def cloud_image(request, name: str):
    """A cached word-cloud image; its name changes with its content, so it may be cached for a year."""
    if not IMAGE_NAME.match(name):
        raise Http404("No such image.")
    path = clouds_dir() / name
    if not path.is_file():
        raise Http404("No such image.")
    response = FileResponse(open(path, "rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
