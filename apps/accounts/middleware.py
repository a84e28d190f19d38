import zoneinfo

from django.utils import timezone

from apps.accounts.models import Profile


class ReaderTimeZoneMiddleware:
    """Show times in the signed-in reader's own time zone (their profile setting); UTC otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None
        if request.user.is_authenticated:
            zone = Profile.objects.filter(user=request.user).values_list("time_zone", flat=True).first()
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        return self.get_response(request)
