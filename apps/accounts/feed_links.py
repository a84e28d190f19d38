"""The private Atom feed link: a signed (user id, generation) pair, so the URL is the credential.

Resetting the link bumps the profile's generation, and every link signed before stops working.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing

from apps.accounts.models import Profile

FEED_SALT = "accounts.feed-link"


def _signer() -> signing.Signer:
    # No timestamp: the link stays the same from one page view to the next.
    return signing.Signer(salt=FEED_SALT)


def feed_token(*, user: AbstractBaseUser) -> str:
    generation = Profile.objects.filter(user=user).values_list("feed_generation", flat=True).first() or 0
    return _signer().sign_object([user.pk, generation])


def feed_reader(token: str) -> AbstractBaseUser | None:
    """The active reader whose current link this is; None for anything else, whatever it decodes to."""
    try:
        payload = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    # Only we sign, but a leaked key or an old format must not reach a query as a string or a list.
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and all(type(part) is int and 0 <= part < 2**31 for part in payload)
    ):
        return None
    user_id, generation = payload
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    current = Profile.objects.filter(user=user).values_list("feed_generation", flat=True).first() or 0
    return user if generation == current else None
