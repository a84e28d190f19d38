"""Writes to the digests: picks, decisions, publishing. Each bumps the week's revision (see weeks.py)."""

from apps.digests.services.decisions import decisions_set
from apps.digests.services.picks import pin_add, pin_remove, pin_update, pins_reorder
from apps.digests.services.publishing import DigestStateError, digest_publish, digest_unpublish
from apps.digests.services.weeks import digest_get_or_create, week_changed_record

__all__ = [
    "DigestStateError",
    "decisions_set",
    "digest_get_or_create",
    "digest_publish",
    "digest_unpublish",
    "pin_add",
    "pin_remove",
    "pin_update",
    "pins_reorder",
    "week_changed_record",
]
