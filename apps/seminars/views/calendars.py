"""Calendars: a series' feed, a reader's private feed (the signed URL is the credential), and their page."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from apps.seminars import selectors, services
from apps.seminars.models import SeminarSeries

CALENDAR_SALT = "seminars.calendar"
ICS = "text/calendar; charset=utf-8"


def series_calendar(request, slug: str):
    series = get_object_or_404(SeminarSeries, slug=slug)
    response = HttpResponse(services.series_calendar(series), content_type=ICS)
    response["Content-Disposition"] = f'inline; filename="{series.slug}.ics"'
    return response


def reader_calendar(request, token: str):
    """A reader's talks and RSVPs; the URL is the credential (a signed user id), for calendar apps."""
    try:
        user_id = signing.loads(token, salt=CALENDAR_SALT)
    except signing.BadSignature:
        raise Http404("Unknown calendar.") from None
    user = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    return HttpResponse(services.reader_calendar(user), content_type=ICS)


@login_required
def mine(request):
    token = signing.dumps(request.user.pk, salt=CALENDAR_SALT)
    return render(
        request,
        "seminars/mine.html",
        {
            "talks": selectors.speaker_talks(speaker=request.user),
            "rsvps": selectors.reader_rsvps(user=request.user),
            "calendar_url": request.build_absolute_uri(reverse("seminars:reader-calendar", args=[token])),
        },
    )
