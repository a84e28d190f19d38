"""The reader's time zone, kept in their session: read from the profile once per sign-in, not per page."""

from apps.accounts.models import Profile

TIME_ZONE_SESSION_KEY = "reader_time_zone"


def time_zone_of(user) -> str:
    """Their profile's zone; "" (UTC) while they have no profile."""
    return Profile.objects.filter(user=user).values_list("time_zone", flat=True).first() or ""


def time_zone_remember(request, time_zone: str) -> None:
    """This session's pages show `time_zone` from the next one on (other sessions at their next sign-in)."""
    request.session[TIME_ZONE_SESSION_KEY] = time_zone


def time_zone_in_session(request) -> str | None:
    return request.session.get(TIME_ZONE_SESSION_KEY)
