"""The editors' actions on a week: each is the digests' write plus its audit row, in one transaction."""

from django.db import transaction

from apps.curation.services.audit import audit_record
from apps.digests import services as digests
from apps.digests.models import Digest, Pin
from apps.papers.models import Paper
from apps.papers.weeks import Week


def _pick_state(pin: Pin) -> dict:
    return {"paper": pin.paper.arxiv_id, "note": pin.note, "order": pin.order}


def _digest_state(digest: Digest) -> dict:
    arxiv_ids = Paper.objects.in_bulk([pick["paper"] for pick in digest.picks])
    return {
        "status": digest.status,
        "published_at": digest.published_at.isoformat() if digest.published_at else None,
        "picks": [arxiv_ids[pick["paper"]].arxiv_id for pick in digest.picks if pick["paper"] in arxiv_ids],
    }


@transaction.atomic
def papers_decide(*, week: Week, paper_ids: list[int], verdict: str | None, by) -> int:
    """Accept, reject or clear (verdict None) papers for the week; returns how many changed."""
    changes = digests.decisions_set(week=week, paper_ids=paper_ids, verdict=verdict, by=by)
    if changes:
        arxiv_ids = dict(Paper.objects.filter(pk__in=changes).values_list("pk", "arxiv_id"))
        audit_record(
            actor=by,
            action=f"decide:{verdict or 'undecided'}",
            week=week,
            target=", ".join(sorted(arxiv_ids.values())),
            before={arxiv_ids[pid]: old for pid, (old, _) in changes.items()},
            after={arxiv_ids[pid]: new for pid, (_, new) in changes.items()},
        )
    return len(changes)


@transaction.atomic
def pick_add(*, week: Week, paper: Paper, note: str, by) -> Pin:
    pin = digests.pin_add(week=week, paper=paper, note=note, by=by)
    audit_record(actor=by, action="pick:add", week=week, target=paper.arxiv_id, after=_pick_state(pin))
    return pin


@transaction.atomic
def pick_edit(*, pin: Pin, note: str, by) -> Pin:
    before = _pick_state(pin)
    pin = digests.pin_update(pin=pin, note=note, by=by)
    audit_record(
        actor=by,
        action="pick:edit",
        week=Week(pin.week),
        target=pin.paper.arxiv_id,
        before=before,
        after=_pick_state(pin),
    )
    return pin


@transaction.atomic
def pick_remove(*, pin: Pin, by) -> None:
    before = _pick_state(pin)
    digests.pin_remove(pin=pin, by=by)
    audit_record(actor=by, action="pick:remove", week=Week(pin.week), target=pin.paper.arxiv_id, before=before)


@transaction.atomic
def pick_move(*, pin: Pin, offset: int, by) -> list[Pin]:
    """Move a pick `offset` places (-1: up, +1: down) among its week's picks; at an end it stays."""
    week = Week(pin.week)
    order = list(Pin.objects.filter(week=week.monday).select_related("paper").order_by("order", "id"))
    before = [p.paper.arxiv_id for p in order]
    index = next(i for i, p in enumerate(order) if p.pk == pin.pk)
    target = min(max(index + offset, 0), len(order) - 1)
    order.insert(target, order.pop(index))
    pins = digests.pins_reorder(week=week, pin_ids=[p.pk for p in order], by=by)
    audit_record(
        actor=by,
        action="pick:reorder",
        week=week,
        target=pin.paper.arxiv_id,
        before=before,
        after=[p.paper.arxiv_id for p in order],
    )
    return pins


@transaction.atomic
def week_publish(*, week: Week, by, publish: bool = True) -> Digest:
    """Publish the week (or, with publish=False, unpublish it); DigestStateError says why it cannot."""
    digest = digests.digest_get_or_create(week=week)
    before = _digest_state(digest)
    change = digests.digest_publish if publish else digests.digest_unpublish
    digest = change(digest=digest, by=by)
    action = "digest:publish" if publish else "digest:unpublish"
    audit_record(actor=by, action=action, week=week, target=week.label, before=before, after=_digest_state(digest))
    return digest
