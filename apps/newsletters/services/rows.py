"""A delivery row read and written in plain SQL, for the send loop (services.delivery).

Each email locks its row, reads its reader's address and subscription under the lock, and marks the
row once the server has accepted it: two statements a send, written by hand because the ORM's
compiling of them was a third of a send's CPU on the quiet machine (docs/benchmarks.md, Newsletters).
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection as db
from django.utils import timezone

from apps.accounts.models import EmailFrequency, Profile
from apps.newsletters.models import NewsletterDelivery


@dataclass(frozen=True)
class LockedRow:
    status: str
    week: datetime.date
    user_id: int
    email: str
    subscribed: bool


def row_locked(delivery_id: int) -> LockedRow | None:
    """The row, locked, with its reader's address and subscription read under the lock
    (`subscribed` is subscription.is_subscribed, in SQL: a reader who left since the batch was built
    gets nothing)."""
    user_model = get_user_model()
    with db.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT d.status, d.week, d.user_id, u.email,
                   u.is_active AND u.email <> '' AND coalesce(p.email_frequency, %s) = %s
                   AND NOT coalesce(p.demo, false)
            FROM {NewsletterDelivery._meta.db_table} d
            JOIN {user_model._meta.db_table} u ON u.id = d.user_id
            LEFT JOIN {Profile._meta.db_table} p ON p.user_id = d.user_id
            WHERE d.id = %s
            FOR UPDATE OF d
            """,
            [EmailFrequency.WEEKLY, EmailFrequency.WEEKLY, delivery_id],
        )
        found = cursor.fetchone()
    return LockedRow(*found) if found else None


def row_update(delivery_id: int, *, attempted: bool = True, **fields) -> None:
    """Sets `fields` (model field names, never user input) on the locked row, counting this try."""
    fields["updated_at"] = timezone.now()
    fields.setdefault("error", "")
    assignments = ", ".join(f"{name} = %s" for name in fields)
    if attempted:
        assignments += ", attempts = attempts + 1"
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {NewsletterDelivery._meta.db_table} SET {assignments} WHERE id = %s",
            [*fields.values(), delivery_id],
        )
