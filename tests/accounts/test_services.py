import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.accounts import services
from apps.accounts.models import TIME_ZONE_UNKNOWN, AccountEmail, EmailFrequency, Profile
from tests.factories import USER_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_signup_makes_a_user_named_by_the_lowercased_email_with_a_default_profile():
    user = services.user_signup(email="  Ada.Lovelace@Example.ORG ", password=USER_PASSWORD)

    user.refresh_from_db()
    assert user.username == "ada.lovelace@example.org"
    assert user.email == "Ada.Lovelace@example.org"
    assert user.check_password(USER_PASSWORD)
    assert (user.profile.time_zone, user.profile.email_frequency) == ("UTC", EmailFrequency.WEEKLY)
    assert user.profile.created_at is not None


def test_readers_made_in_bulk_have_what_sign_up_gives_but_cannot_log_in(client):
    users = services.demo_readers_bulk_create(
        accounts=[("demo-reader-0", "Demo-Reader-0@Example.org"), ("demo-reader-1", "demo-reader-1@example.org")]
    )
    assert set(AccountEmail.objects.values_list("user_id", "normalized")) == {
        (users[0].pk, "demo-reader-0@example.org"),
        (users[1].pk, "demo-reader-1@example.org"),
    }
    assert Profile.objects.filter(user__in=users).count() == 2
    with pytest.raises(ValidationError):  # the address is taken, in any case, as for any reader
        services.user_signup(email="DEMO-READER-0@example.org", password="another fine passphrase")
    assert not User.objects.get(pk=users[0].pk).has_usable_password()
    assert not client.login(username="demo-reader-0", password="!")


def test_signup_with_a_taken_email_in_another_case_is_refused_and_changes_nothing():
    existing = UserFactory(email="ada@example.org")
    old_hash = existing.password

    with pytest.raises(ValidationError) as raised:
        services.user_signup(email="ADA@example.org", password="another fine passphrase")

    assert raised.value.message_dict == {"email": [services.EMAIL_TAKEN]}
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.password == old_hash


def test_signup_with_a_weak_password_says_why_and_creates_nothing():
    with pytest.raises(ValidationError) as raised:
        services.user_signup(email="ada@example.org", password="12345")

    assert list(raised.value.message_dict) == ["password"]
    assert User.objects.count() == 0 and Profile.objects.count() == 0


def test_an_email_too_long_for_a_username_gets_a_generated_one():
    email = f"{'a' * 64}@{'b' * 90}.example.org"
    user = services.user_signup(email=email, password=USER_PASSWORD)

    assert user.username.startswith("reader-")
    assert user.email == email


def test_profile_get_or_create_gives_users_made_elsewhere_a_default_profile_once():
    user = UserFactory()

    first = services.profile_get_or_create(user=user)
    again = services.profile_get_or_create(user=user)

    assert first.pk == again.pk
    assert first.time_zone == "UTC"


def test_profile_update_saves_a_real_time_zone_and_refuses_others():
    user = UserFactory()

    services.profile_update(user=user, time_zone="Europe/Amsterdam", email_frequency=EmailFrequency.OFF)
    assert Profile.objects.values_list("time_zone", "email_frequency").get(user=user) == ("Europe/Amsterdam", "off")

    for bad in ("Mars/Olympus_Mons", "localtime"):
        with pytest.raises(ValidationError) as raised:
            services.profile_update(user=user, time_zone=bad, email_frequency=EmailFrequency.WEEKLY)
        assert raised.value.message_dict == {"time_zone": [TIME_ZONE_UNKNOWN]}
    assert Profile.objects.get(user=user).time_zone == "Europe/Amsterdam"


def test_user_delete_removes_the_user_and_what_references_them():
    user = services.user_signup(email="ada@example.org", password=USER_PASSWORD)
    other = services.user_signup(email="alan@example.org", password=USER_PASSWORD)

    services.user_delete(user=user)

    assert list(User.objects.all()) == [other]
    assert list(Profile.objects.values_list("user", flat=True)) == [other.pk]


def test_demo_editor_gets_a_profile():
    email, _ = services.demo_editor_ensure()

    assert Profile.objects.filter(user__email=email).exists()


def test_demo_editor_is_an_editor_not_a_superuser_and_logs_in_with_what_is_printed(client):
    email, password = services.demo_editor_ensure()

    user = User.objects.get(email=email)
    assert user.groups.filter(name=services.EDITORS_GROUP).exists() and user.is_staff and not user.is_superuser
    response = client.post(reverse("accounts:login"), {"email": email, "password": password})
    assert response.status_code == 302 and client.session.get("_auth_user_id") == str(user.pk)
