"""Signed links in the email: the token is the credential, so they work without logging in.

Click tokens name a reader, a paper and a week and never expire (old emails keep working). Unsubscribe
tokens name a reader and the address the email went to, and expire: a token older than
NEWSLETTER_UNSUBSCRIBE_MAX_AGE, or for an address the account no longer has, is stale.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing

CLICK_SALT = "newsletters.click"
UNSUBSCRIBE_SALT = "newsletters.unsubscribe"


class BadToken(Exception):
    """Forged, truncated or stale: the page says which, and nothing changes."""


@dataclass(frozen=True)
class Click:
    user_id: int
    paper_id: int
    week: str


def click_token(*, user_id: int, paper_id: int, week: str) -> str:
    return signing.dumps([user_id, paper_id, week], salt=CLICK_SALT)


def click_from_token(token: str) -> Click:
    try:
        user_id, paper_id, week = signing.loads(token, salt=CLICK_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        raise BadToken("This link is damaged or was not made by Retriever.") from None
    return Click(int(user_id), int(paper_id), str(week))


def unsubscribe_token(*, user) -> str:
    return signing.dumps([user.pk, user.email.lower()], salt=UNSUBSCRIBE_SALT)


def user_from_unsubscribe_token(token: str):
    max_age = settings.NEWSLETTER_UNSUBSCRIBE_MAX_AGE
    try:
        user_id, email = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise BadToken(f"This unsubscribe link is older than {max_age.days} days.") from None
    except (signing.BadSignature, TypeError, ValueError):
        raise BadToken("This unsubscribe link is damaged or was not made by Retriever.") from None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email.lower() != email:
        raise BadToken("This unsubscribe link is for an address or account that no longer exists.")
    return user
