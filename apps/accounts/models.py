import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

TIME_ZONE_UNKNOWN = "Choose a time zone from the list."


@functools.cache
def time_zone_names() -> frozenset[str]:
    # "localtime" means the server's zone and "Factory" is a placeholder: neither is a reader's zone.
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory"})


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(TIME_ZONE_UNKNOWN, code="unknown_time_zone")


class EmailFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly digest"
    OFF = "off", "No emails"


class AccountEmail(models.Model):
    """The account's email, normalised (apps.accounts.emails): unique, so one address is one account,
    even when two sign-ups in different case arrive at the same moment. Kept in step with User.email
    by a signal (apps.accounts.signals)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="account_email"
    )
    normalized = models.CharField(max_length=1024, unique=True)

    def __str__(self) -> str:
        return self.normalized


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    email_frequency = models.CharField(max_length=16, choices=EmailFrequency.choices, default=EmailFrequency.WEEKLY)
    # Part of the signed private feed link: bumping it makes every earlier link stop working.
    feed_generation = models.PositiveIntegerField(default=0)
    # The simulated readers and speakers `make run` seeds: they feed recommendations and the seminar's
    # archive, but are nobody's inbox, so the newsletter neither counts nor sends to them.
    demo = models.BooleanField(default=False, help_text="A simulated account made for the demo: never emailed.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"
