"""Publishing a week's digest: once, even when two editors press at the same moment.

The Digest row is locked (SELECT ... FOR UPDATE) for the whole check-and-write, so a second publish
waits for the first to commit, then sees it published and is refused: `digest_published` is sent once.
"""

from django.db import transaction
from django.utils import timezone

from apps.digests.models import Digest, Pin
from apps.digests.services.weeks import week_changed_record
from apps.digests.signals import digest_published, digest_unpublished


class DigestStateError(Exception):
    """The digest is not in a state that allows this; the message says why, for the editor."""


def _locked(digest: Digest) -> Digest:
    return Digest.objects.select_for_update().get(pk=digest.pk)


@transaction.atomic
def digest_publish(*, digest: Digest, by) -> Digest:
    """Publish the week: freeze its picks and notes, record who and when, start the newsletters on commit.

    Raises DigestStateError when it is already published (by anyone, a moment ago included).
    """
    digest = _locked(digest)
    if digest.is_published:
        raise DigestStateError(f"{digest.week_label} is already published.")
    pins = Pin.objects.filter(week=digest.week).order_by("order", "id")
    digest.picks = [{"paper": pin.paper_id, "note": pin.note} for pin in pins]
    digest.status = Digest.Status.PUBLISHED
    digest.published_at = timezone.now()
    digest.published_by = by
    digest.save(update_fields=["picks", "status", "published_at", "published_by", "updated_at"])
    week_changed_record(week=digest.iso_week)
    transaction.on_commit(lambda: digest_published.send(sender=Digest, digest=digest))
    digest.refresh_from_db()
    return digest


@transaction.atomic
def digest_unpublish(*, digest: Digest, by) -> Digest:
    """Back to draft (picks editable again) — refused once the newsletters started sending."""
    digest = _locked(digest)
    if not digest.is_published:
        raise DigestStateError(f"{digest.week_label} is not published.")
    if digest.newsletters_started_at is not None:
        raise DigestStateError(
            f"{digest.week_label} can no longer be unpublished: the newsletters started sending it "
            f"at {digest.newsletters_started_at:%Y-%m-%d %H:%M} UTC."
        )
    digest.status = Digest.Status.DRAFT
    digest.published_at = None
    digest.published_by = None
    digest.picks = []
    digest.save(update_fields=["status", "published_at", "published_by", "picks", "updated_at"])
    week_changed_record(week=digest.iso_week)
    transaction.on_commit(lambda: digest_unpublished.send(sender=Digest, digest=digest, by=by))
    digest.refresh_from_db()
    return digest
