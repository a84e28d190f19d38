import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from apps.accounts.emails import normalized_email
from apps.accounts.models import AccountEmail, Profile
from apps.accounts.selectors import email_is_taken
from apps.common.generations import bump, reader_scope
from config import embedded

EDITORS_GROUP = "editors"  # made by a migration (apps.curation); see apps.curation.permissions
DEMO_EDITOR_USERNAME = "editor"
DEMO_EDITOR_EMAIL = "editor@localhost"

EMAIL_TAKEN = "An account with this email already exists. Log in, or reset your password if you forgot it."


def _email_taken_error() -> ValidationError:
    return ValidationError({"email": ValidationError(EMAIL_TAKEN, code="email_taken")})


def _username_for(email: str) -> str:
    """The normalised email when free, else generated: AccountEmail, not the username, keeps addresses unique."""
    username = normalized_email(email)
    max_length = get_user_model()._meta.get_field("username").max_length
    if len(username) <= max_length and not get_user_model().objects.filter(username=username).exists():
        return username
    return f"reader-{secrets.token_hex(8)}"


def user_signup(*, email: str, password: str) -> AbstractBaseUser:
    """A new reader with a profile. Raises ValidationError ({"email": ...} or {"password": ...}).

    A duplicate email changes nothing about the existing account.
    """
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email.strip())
    if email_is_taken(email=email):
        raise _email_taken_error()
    user = user_model(username=_username_for(email), email=email)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            Profile.objects.create(user=user)
    except IntegrityError:
        # A concurrent sign-up with the same address (in any case) committed between our check and here:
        # the unique AccountEmail (or username) refused this one.
        raise _email_taken_error() from None
    return user


@transaction.atomic
def demo_readers_bulk_create(*, accounts: list[tuple[str, str]]) -> list[AbstractBaseUser]:
    """The demo's simulated readers, many at once from (username, email) pairs, with what sign-up gives
    each: the AccountEmail row (bulk_create sends no post_save, which keeps it in step otherwise) and a
    profile, marked demo (never emailed). They cannot log in. An address already in use raises
    IntegrityError."""
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(username=username, email=email, password=make_password(None)) for username, email in accounts]
    )
    AccountEmail.objects.bulk_create(
        [AccountEmail(user=user, normalized=normalized_email(user.email)) for user in users]
    )
    Profile.objects.bulk_create([Profile(user=user, demo=True) for user in users])
    return users


def profile_get_or_create(*, user: AbstractBaseUser) -> Profile:
    """Users made outside sign-up (the admin, the demo editor) get their default profile on first use."""
    return Profile.objects.get_or_create(user=user)[0]


def profile_update(*, user: AbstractBaseUser, time_zone: str, email_frequency: str) -> Profile:
    profile = profile_get_or_create(user=user)
    profile.time_zone = time_zone
    profile.email_frequency = email_frequency
    profile.full_clean()
    profile.save(update_fields=["time_zone", "email_frequency"])
    return profile


def feed_link_reset(*, user: AbstractBaseUser) -> None:
    """Every private feed link given out so far stops working; the next one shown is new."""
    profile = profile_get_or_create(user=user)
    Profile.objects.filter(pk=profile.pk).update(feed_generation=F("feed_generation") + 1)
    bump(reader_scope(user.pk))  # their cached digest pages show the old link


@transaction.atomic
def user_delete(*, user: AbstractBaseUser) -> None:
    """Deletes the account; everything that references it (profile, interactions) goes by FK cascade."""
    user.delete()


def _demo_password() -> str:
    """From DEMO_EDITOR_PASSWORD, else made once and kept in the var dir so it stays the same."""
    if os.environ.get("DEMO_EDITOR_PASSWORD"):
        return os.environ["DEMO_EDITOR_PASSWORD"]
    path = embedded.var_dir() / "demo-editor-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


@transaction.atomic
def demo_editor_ensure() -> tuple[str, str]:
    """The demo's editor: staff (the admin, read-only) and in the editors group (the curation panel),
    not a superuser. Returns (email, password): what the login form asks for."""
    password = _demo_password()
    user, _ = get_user_model().objects.get_or_create(
        username=DEMO_EDITOR_USERNAME, defaults={"email": DEMO_EDITOR_EMAIL, "is_staff": True}
    )
    user.email = user.email or DEMO_EDITOR_EMAIL
    user.is_staff = True
    user.is_superuser = False
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get_or_create(name=EDITORS_GROUP)[0])
    profile_get_or_create(user=user)
    return user.email, password
