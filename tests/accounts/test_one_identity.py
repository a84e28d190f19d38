"""One address, one account: one normalisation for lookups, the unique index and the rate limiter."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from apps.accounts import ratelimit, selectors, services
from apps.accounts.emails import normalized_email
from apps.accounts.models import AccountEmail
from apps.accounts.services import EMAIL_TAKEN
from tests.factories import USER_PASSWORD, UserFactory

LOGIN = reverse("accounts:login")


def login(client, email, password="wrong password", ip="192.0.2.7"):
    return client.post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize(
    "spelling, same",
    [
        ("Ada@Example.org", True),
        ("  ADA@EXAMPLE.ORG ", True),
        ("ａｄａ@example.org", True),
        ("\u212ada@example.org", False),
        ("adı@example.org", False),
        ("ada@example.org.", False),
    ],
)
def test_one_normalisation(spelling, same):
    assert (normalized_email(spelling) == normalized_email("ada@example.org")) is same


@pytest.mark.django_db
@pytest.mark.parametrize("look_alike", ["admın@example.org", "ADMİN@example.org", "admin@example.org\u200b"])
def test_a_look_alike_never_reaches_the_account_nor_escapes_its_limit(client, look_alike):
    UserFactory(email="admin@example.org")
    for _ in range(ratelimit.LOGIN_FAILURE_LIMIT):
        login(client, "admin@example.org")
    # The look-alike is another address: it does not log in to admin@, even with admin@'s password...
    assert login(client, look_alike, USER_PASSWORD, ip="198.51.100.1").status_code == 200
    assert "_auth_user_id" not in client.session
    assert selectors.user_get_by_email(email=look_alike) is None
    # ...and every spelling that does reach the account shares its exhausted count, from anywhere.
    assert login(client, " Admin@EXAMPLE.org", USER_PASSWORD, ip="198.51.100.2").status_code == 429


@pytest.mark.django_db
def test_signing_up_twice_in_another_case_is_a_clear_form_error(client):
    client.post(reverse("accounts:signup"), {"email": "Grace@Example.org", "password": USER_PASSWORD})
    client.logout()
    response = client.post(reverse("accounts:signup"), {"email": "grace@EXAMPLE.ORG", "password": USER_PASSWORD})
    assert response.status_code == 200 and EMAIL_TAKEN in response.content.decode()
    assert AccountEmail.objects.filter(normalized="grace@example.org").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_in_different_case_make_one_account(monkeypatch):
    """Both pass the 'is it taken?' check before either commits; the unique index settles it."""
    monkeypatch.setattr(services, "email_is_taken", lambda **_: False)
    monkeypatch.setattr(services, "_username_for", lambda email: f"reader-{email}")  # distinct usernames
    barrier = threading.Barrier(2)
    outcomes = []

    def sign_up(email):
        try:
            barrier.wait()
            services.user_signup(email=email, password=USER_PASSWORD)
            outcomes.append("created")
        except ValidationError as error:
            outcomes.append(error.message_dict["email"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(email,)) for email in ("Lin@Example.org", "lin@example.ORG")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == sorted(["created", EMAIL_TAKEN])
    assert AccountEmail.objects.filter(normalized="lin@example.org").count() == 1


@pytest.mark.django_db
def test_changing_the_email_moves_the_key_and_a_taken_one_is_refused():
    user = UserFactory(email="old@example.org")
    user.email = "New@Example.org"
    user.save()
    assert AccountEmail.objects.get(user=user).normalized == "new@example.org"
    assert selectors.user_get_by_email(email="NEW@example.org") == user
    assert selectors.user_get_by_email(email="old@example.org") is None


@pytest.mark.django_db
def test_deleting_the_account_throttles_wrong_passwords(client):
    reader = UserFactory()
    client.force_login(reader)
    for _ in range(ratelimit.PASSWORD_CHECK_LIMIT):
        assert client.post(reverse("accounts:delete"), {"password": "guess"}).status_code == 200
    response = client.post(reverse("accounts:delete"), {"password": USER_PASSWORD})
    assert response.status_code == 429 and ratelimit.TOO_MANY_PASSWORD_CHECKS in response.content.decode()
    reader.refresh_from_db()  # still there


@pytest.mark.django_db
def test_changing_the_password_throttles_wrong_current_passwords(client):
    reader = UserFactory()
    client.force_login(reader)
    url = reverse("accounts:password_change")
    new = {"new_password1": "another long passphrase", "new_password2": "another long passphrase"}
    for _ in range(ratelimit.PASSWORD_CHECK_LIMIT):
        assert client.post(url, {"old_password": "guess", **new}).status_code == 200
    assert client.post(url, {"old_password": USER_PASSWORD, **new}).status_code == 429
    reader.refresh_from_db()
    assert reader.check_password(USER_PASSWORD)
