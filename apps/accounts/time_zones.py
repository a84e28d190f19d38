"""The reader's time zone, kept in their session beside the generation it was read at.

A profile save that may change the zone (settings, the admin, another device) bumps the reader's
time-zone generation (apps.accounts.signals), so every session of theirs reads the profile again on
its next page; otherwise a page costs one cache read for the zone, never a query. While the cache is
down, a session keeps the zone it has.
"""

import logging

from apps.accounts.models import Profile
from apps.accounts.ratelimit import CACHE_ERRORS
from apps.common.generations import generations, time_zone_scope

logger = logging.getLogger(__name__)

TIME_ZONE_SESSION_KEY = "reader_time_zone"


def time_zone_of(user) -> str:
    """Their profile's zone; "" (UTC) while they have no profile."""
    return Profile.objects.filter(user=user).values_list("time_zone", flat=True).first() or ""


def time_zone_generation(user) -> int | None:
    """None while the cache is down: a page must not fail for a time zone."""
    try:
        return generations(time_zone_scope(user.pk))[0]
    except CACHE_ERRORS:
        logger.warning("Cache unreachable: the time zone kept in the session is used as it is.", exc_info=True)
        return None


def time_zone_remember(request, time_zone: str) -> None:
    """This session's pages show `time_zone` until the reader's profile is saved again."""
    request.session[TIME_ZONE_SESSION_KEY] = [time_zone, time_zone_generation(request.user)]


def time_zone_load(request, user) -> str:
    # The generation is read before the profile: a save in between leaves the older number, read again.
    generation = time_zone_generation(user)
    time_zone = time_zone_of(user)
    request.session[TIME_ZONE_SESSION_KEY] = [time_zone, generation]
    return time_zone


def time_zone_current(request) -> str:
    """The session's zone while the profile is unchanged since it was read; else the profile's, kept."""
    kept = request.session.get(TIME_ZONE_SESSION_KEY)
    if isinstance(kept, list) and len(kept) == 2:
        generation = time_zone_generation(request.user)
        if generation is None or kept[1] == generation:
            return kept[0]
    return time_zone_load(request, request.user)  # a change, a new session, or one kept before generations
