"""Generation counters: a cached value keyed by a generation is dropped by bumping the number.

No key is ever searched for or deleted one by one: a reader's cached digest weeks all name their
generation, so one increment retires every one of them, and the old entries expire on their own.
"""

from django.core.cache import cache
from django.db import transaction

from apps.common.keys import GENERATION_CACHE, cache_key

# What every reader's ranking depends on: the catalogue, its vectors, the active models.
SERVING = ("serving",)
# The word clouds shown beside pages that are kept whole (a rebuilt cloud must show on the next load).
CLOUDS = ("clouds",)


def reader_scope(user_id: int) -> tuple:
    return ("reader", user_id)


def time_zone_scope(user_id: int) -> tuple:
    """A reader's profile zone, as their sessions keep it (apps.accounts.time_zones)."""
    return ("time-zone", user_id)


def generations(*scopes: tuple) -> list[int]:
    """The current number of each scope (0 until first bumped), in one round trip."""
    keys = [cache_key(GENERATION_CACHE, *scope) for scope in scopes]
    found = cache.get_many(keys)
    return [found.get(key, 0) for key in keys]


def bump(scope: tuple) -> None:
    """Retire what was cached under `scope`: now, and again once the current transaction commits.

    Again, because a page loaded between the first bump and the commit would cache the old state
    under the new number; now, because a request that reads its own writes (the same transaction)
    must not see the old entry either.
    """
    key = cache_key(GENERATION_CACHE, *scope)

    def increment() -> None:
        cache.add(key, 0, timeout=None)
        cache.incr(key)

    increment()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(increment)
