from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from apps.accounts.emails import normalized_email


def user_get_by_email(*, email: str) -> AbstractBaseUser | None:
    """The account with this address, by the one normalisation (apps.accounts.emails)."""
    return get_user_model().objects.filter(account_email__normalized=normalized_email(email)).first()


def email_is_taken(*, email: str, exclude_user_id: int | None = None) -> bool:
    return (
        get_user_model()
        .objects.filter(account_email__normalized=normalized_email(email))
        .exclude(pk=exclude_user_id)
        .exists()
    )
