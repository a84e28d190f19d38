import zoneinfo

from django.utils import timezone

from apps.accounts.models import Profile

# The reader's zone, kept in their session: read once per sign-in, not once per page.
TIME_ZONE_SESSION_KEY = "reader_time_zone"


def time_zone_remember(request, time_zone: str) -> None:
    """The reader changed their zone: this session's next page shows it (others at their next sign-in)."""
    request.session[TIME_ZONE_SESSION_KEY] = time_zone


class ReaderTimeZoneMiddleware:
    """Show times in the signed-in reader's own time zone (their profile setting); UTC otherwise.

    The zone is read from the profile on the first page of a session and kept there; signing in starts
    a new session, and the settings page writes a changed zone into it (`time_zone_remember`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None
        if request.user.is_authenticated:
            zone = request.session.get(TIME_ZONE_SESSION_KEY)
            if zone is None:
                zone = Profile.objects.filter(user=request.user).values_list("time_zone", flat=True).first() or ""
                time_zone_remember(request, zone)
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        return self.get_response(request)
