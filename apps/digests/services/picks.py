"""Editors' picks: pin any catalogue paper to a week with a Markdown note, edit, remove, reorder.

A published week's picks are frozen: these refuse with DigestStateError until it is unpublished. The
week's Digest row is locked first, so a pick never slips in beside a publish that is freezing the list.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from apps.digests.models import Decision, Digest, Pin
from apps.digests.services.decisions import decisions_set
from apps.digests.services.publishing import DigestStateError
from apps.digests.services.weeks import digest_get_or_create, week_changed_record
from apps.papers.models import Paper
from apps.papers.weeks import Week

NOTE_MAX_LENGTH = Pin._meta.get_field("note").max_length
ALREADY_PICKED = "This paper is already a pick of {week}."
WITHDRAWN = "This paper was withdrawn from arXiv; it cannot be picked."
NOTE_TOO_LONG = f"Keep the note under {NOTE_MAX_LENGTH} characters."
NOT_THE_WEEKS_PICKS = "The new order must list exactly this week's picks; reload the page and try again."


def _draft_digest_locked(week: Week) -> Digest:
    digest = digest_get_or_create(week=week)
    digest = Digest.objects.select_for_update().get(pk=digest.pk)
    if digest.is_published:
        raise DigestStateError(f"{week.label} is published: its picks are frozen. Unpublish it to change them.")
    return digest


def _clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": NOTE_TOO_LONG})
    return note


@transaction.atomic
def pin_add(*, week: Week, paper: Paper, note: str, by) -> Pin:
    """Pick `paper` for `week` (last in the order) and accept it for that week. ValidationError on bad input."""
    _draft_digest_locked(week)
    if paper.withdrawn:
        raise ValidationError({"paper": WITHDRAWN})
    if Pin.objects.filter(week=week.monday, paper=paper).exists():
        raise ValidationError({"paper": ALREADY_PICKED.format(week=week.label)})
    last = Pin.objects.filter(week=week.monday).aggregate(last=Max("order"))["last"]
    pin = Pin.objects.create(
        week=week.monday, paper=paper, note=_clean_note(note), order=0 if last is None else last + 1, created_by=by
    )
    decisions_set(week=week, paper_ids=[paper.pk], verdict=Decision.Verdict.ACCEPT, by=by)
    week_changed_record(week=week)
    return pin


@transaction.atomic
def pin_update(*, pin: Pin, note: str, by) -> Pin:
    _draft_digest_locked(Week(pin.week))
    pin.note = _clean_note(note)
    pin.save(update_fields=["note"])
    week_changed_record(week=Week(pin.week))
    return pin


@transaction.atomic
def pin_remove(*, pin: Pin, by) -> None:
    """Un-pick (the paper's decision stays: removing a pick is not a rejection)."""
    _draft_digest_locked(Week(pin.week))
    pin.delete()
    week_changed_record(week=Week(pin.week))


@transaction.atomic
def pins_reorder(*, week: Week, pin_ids: list[int], by) -> list[Pin]:
    """Put the week's picks in the order of `pin_ids`, which must name each of them once."""
    _draft_digest_locked(week)
    pins = {pin.pk: pin for pin in Pin.objects.filter(week=week.monday)}
    if sorted(pin_ids) != sorted(pins):
        raise ValidationError(NOT_THE_WEEKS_PICKS)
    for order, pin_id in enumerate(pin_ids):
        pins[pin_id].order = order
    Pin.objects.bulk_update(pins.values(), ["order"])
    week_changed_record(week=week)
    return [pins[pin_id] for pin_id in pin_ids]
