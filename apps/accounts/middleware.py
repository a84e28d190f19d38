import zoneinfo

from django.utils import timezone

from apps.accounts.time_zones import time_zone_current


class ReaderTimeZoneMiddleware:
    """Show times in the signed-in reader's own time zone (their profile setting); UTC otherwise.

    The zone is kept in the session (apps.accounts.time_zones): put there at sign-in and by the
    settings page, read again after any save of the profile (the admin, another device).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = time_zone_current(request) if request.user.is_authenticated else None
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        return self.get_response(request)
