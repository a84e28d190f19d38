import zoneinfo

from django.utils import timezone

from apps.accounts.time_zones import time_zone_in_session, time_zone_of, time_zone_remember


class ReaderTimeZoneMiddleware:
    """Show times in the signed-in reader's own time zone (their profile setting); UTC otherwise.

    The zone is put in the session at sign-in (apps.accounts.signals) and by the settings page when the
    reader changes it; a session from before either is filled on its first page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None
        if request.user.is_authenticated:
            zone = time_zone_in_session(request)
            if zone is None:
                zone = time_zone_of(request.user)
                time_zone_remember(request, zone)
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        return self.get_response(request)
