"""Who gets the weekly email: the switch in the reader's settings (on by default). The demo's simulated
accounts are nobody's inbox: neither subscribed nor unsubscribed."""

from django.contrib.auth import get_user_model

from apps.accounts.models import EmailFrequency
from apps.accounts.services import profile_get_or_create


def subscribers():
    """Active readers with an address whose switch is on; readers without a profile yet get the default (on)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .exclude(profile__email_frequency=EmailFrequency.OFF)
        .exclude(profile__demo=True)
    )


def unsubscribed():
    return (
        get_user_model()
        .objects.filter(is_active=True, profile__email_frequency=EmailFrequency.OFF, profile__demo=False)
        .exclude(email="")
    )


def is_subscribed(user) -> bool:
    profile = getattr(user, "profile", None)
    return bool(user.is_active and user.email) and (
        profile is None or (profile.email_frequency == EmailFrequency.WEEKLY and not profile.demo)
    )


def newsletter_unsubscribe(*, user) -> bool:
    """Switches the weekly email off (settings switch it back on); returns whether it was on."""
    profile = profile_get_or_create(user=user)
    if profile.email_frequency == EmailFrequency.OFF:
        return False
    profile.email_frequency = EmailFrequency.OFF
    profile.save(update_fields=["email_frequency"])
    return True
