from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser


def user_get_by_email(*, email: str) -> AbstractBaseUser | None:
    """The account with this email, whatever its case; the oldest one if the admin made two."""
    return get_user_model().objects.filter(email__iexact=email.strip()).order_by("pk").first()


def email_is_taken(*, email: str) -> bool:
    return get_user_model().objects.filter(email__iexact=email.strip()).exists()
