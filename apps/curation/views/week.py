"""A week's workspace: the review queue, the picks and publishing, on one page.

Every action answers an htmx request with the refreshed workspace (filters kept) and a plain POST with
a redirect back to the page and a message, or the page with the form's errors.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.selectors import user_get_by_email
from apps.curation.forms import DecideForm, MoveForm, NoteForm, PickForm, PreviewForm, QueueFilterForm
from apps.curation.permissions import editor_required
from apps.curation.selectors.queue import gate_threshold, review_queue, week_summary
from apps.curation.services import editorial
from apps.digests.models import Pin
from apps.digests.selectors import digest_for_reader, digest_weeks, latest_week
from apps.digests.services import DigestStateError
from apps.papers.weeks import BAD_WEEK, Week

FILTER_FIELDS = ["q", "category", "status", "sort"]
FIRST_YEAR, LAST_YEAR = 1991, 9998  # arXiv's first year; the last whose next week has a date


def _week(label: str) -> Week:
    try:
        week = Week.from_label(label)
    except ValueError as error:
        raise Http404(str(error)) from error
    if not FIRST_YEAR <= week.monday.year <= LAST_YEAR:  # the page links the weeks either side
        raise Http404(BAD_WEEK)
    return week


def _filters(data) -> QueueFilterForm:
    return QueueFilterForm({key: data.get(key, "") for key in FILTER_FIELDS})


def _week_url(week: Week, filters: dict) -> str:
    query = urlencode(filters)
    return reverse("curation:week", args=[week.label]) + (f"?{query}" if query else "")


def _workspace(request, week: Week, *, filter_data, pick_form=None, note_forms=None, status=200):
    filter_form = _filters(filter_data)
    filters = filter_form.filters()
    context = {
        "week": week,
        "summary": week_summary(week),
        "rows": review_queue(week=week, **filters),
        "gate_threshold": gate_threshold(),
        "filter_form": filter_form,
        "filters": filters,
        "pick_form": pick_form or PickForm(initial={"arxiv_id": request.GET.get("pick", "")}),
        "note_forms": note_forms or {},
        "weeks": digest_weeks()[:52],
    }
    template = "curation/week.html#workspace" if request.htmx else "curation/week.html"
    return render(request, template, context, status=status)


def _done(request, week: Week, message: str, level=messages.SUCCESS):
    """After an action: the refreshed workspace for htmx, else back to the page (Post/Redirect/Get)."""
    messages.add_message(request, level, message)
    if request.htmx:
        return _workspace(request, week, filter_data=request.POST)
    return redirect(_week_url(week, _filters(request.POST).filters()), permanent=False)


@require_GET
@editor_required
def home(request):
    """The newest week with papers, or the week chosen in the jump list (?label=2026-W26)."""
    try:
        week = Week.from_label(request.GET.get("label", ""))
    except ValueError:
        week = latest_week() or Week.containing(dt.date.today())
    return redirect("curation:week", label=week.label)


@require_GET
@editor_required
def week_page(request, label: str):
    return _workspace(request, _week(label), filter_data=request.GET)


@require_POST
@editor_required
def decide(request, label: str):
    week = _week(label)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _done(request, week, " ".join(e for errors in form.errors.values() for e in errors), messages.ERROR)
    changed = editorial.papers_decide(
        week=week, paper_ids=[p.pk for p in form.cleaned_data["papers"]], verdict=form.chosen_verdict, by=request.user
    )
    label_text = {"accept": "accepted", "reject": "rejected", None: "undecided"}[form.chosen_verdict]
    return _done(
        request, week, f"{changed} paper{'s'[: changed != 1]} marked {label_text}." if changed else "Nothing changed."
    )


@require_POST
@editor_required
def pick_add(request, label: str):
    week = _week(label)
    form = PickForm(request.POST)
    if form.is_valid():
        try:
            editorial.pick_add(
                week=week, paper=form.cleaned_data["arxiv_id"], note=form.cleaned_data["note"], by=request.user
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error("arxiv_id" if field == "paper" else field if field in form.fields else None, errors)
        except DigestStateError as error:
            form.add_error(None, str(error))
        else:
            return _done(request, week, f"Picked {form.cleaned_data['arxiv_id'].arxiv_id} for {week.label}.")
    return _workspace(request, week, filter_data=request.POST, pick_form=form)


def _pin(pk: int) -> Pin:
    return get_object_or_404(Pin.objects.select_related("paper"), pk=pk)


@require_POST
@editor_required
def pick_edit(request, pk: int):
    pin = _pin(pk)
    week = Week(pin.week)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            editorial.pick_edit(pin=pin, note=form.cleaned_data["note"], by=request.user)
        except (ValidationError, DigestStateError) as error:
            form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
        else:
            return _done(request, week, f"Note on {pin.paper.arxiv_id} saved.")
    return _workspace(request, week, filter_data=request.POST, note_forms={pin.pk: form})


@require_POST
@editor_required
def pick_remove(request, pk: int):
    pin = _pin(pk)
    try:
        editorial.pick_remove(pin=pin, by=request.user)
    except DigestStateError as error:
        return _done(request, Week(pin.week), str(error), messages.ERROR)
    return _done(request, Week(pin.week), f"{pin.paper.arxiv_id} is no longer a pick.")


@require_POST
@editor_required
def pick_move(request, pk: int):
    pin = _pin(pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _done(request, Week(pin.week), "Move a pick up or down.", messages.ERROR)
    try:
        editorial.pick_move(pin=pin, offset=form.cleaned_data["direction"], by=request.user)
    except (DigestStateError, ValidationError) as error:
        return _done(request, Week(pin.week), " ".join(getattr(error, "messages", [str(error)])), messages.ERROR)
    return _done(
        request, Week(pin.week), f"Moved {pin.paper.arxiv_id} {'up' if form.cleaned_data['direction'] < 0 else 'down'}."
    )


PUBLISHED = "{week} is published: readers see its picks from now on."
UNPUBLISHED = "{week} is a draft again: readers no longer see its picks."


@require_POST
@editor_required
def publishing(request, label: str, publish: bool):
    week = _week(label)
    try:
        editorial.week_publish(week=week, by=request.user, publish=publish)
    except DigestStateError as error:
        return _done(request, week, str(error), messages.ERROR)
    return _done(request, week, (PUBLISHED if publish else UNPUBLISHED).format(week=week.label))


@require_GET
@editor_required
def preview(request, label: str):
    """The week as a chosen reader will see it once published (their ranking, the draft's picks); read-only."""
    week = _week(label)
    form = PreviewForm(request.GET)
    reader = None
    if form.is_valid() and form.cleaned_data["reader"]:
        reader = user_get_by_email(email=form.cleaned_data["reader"])
        if reader is None:
            form.add_error("reader", "No reader with this email.")
    digest = digest_for_reader(user=reader or AnonymousUser(), week=week, draft=True)
    return render(request, "curation/preview.html", {"week": week, "digest": digest, "form": form, "reader": reader})
