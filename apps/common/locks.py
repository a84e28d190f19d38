from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def single_flight(key: int, busy: Exception) -> Iterator[None]:
    """Run the block only if no other process holds `key`; else raise `busy`.

    A session-level PostgreSQL advisory lock: it lasts across the block's transactions and vanishes
    with the connection, so a crashed worker never leaves a stale lock behind.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        if not cursor.fetchone()[0]:
            raise busy
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
