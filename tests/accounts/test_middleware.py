import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from apps.accounts.middleware import ReaderTimeZoneMiddleware
from apps.accounts.services import profile_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def zone_seen(user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return ReaderTimeZoneMiddleware(lambda r: HttpResponse(timezone.get_current_timezone_name()))(
        request
    ).content.decode()


def test_a_readers_time_zone_is_active_for_their_requests():
    reader = UserFactory()
    profile_update(user=reader, time_zone="America/New_York", email_frequency="weekly")
    assert zone_seen(reader) == "America/New_York"


def test_readers_without_a_profile_and_visitors_get_utc():
    from django.contrib.auth.models import AnonymousUser

    assert zone_seen(UserFactory()) == "UTC"
    assert zone_seen(AnonymousUser()) == "UTC"
