import pytest

from apps.accounts.admin import UserChangeForm
from apps.accounts.services import EMAIL_TAKEN
from tests.factories import UserFactory


def change_form(user, **changes):
    data = {
        "username": user.username,
        "email": user.email,
        "date_joined": user.date_joined.isoformat(),
        "is_active": "on",
        **changes,
    }
    return UserChangeForm(instance=user, data=data)


@pytest.mark.django_db
def test_the_admin_refuses_another_accounts_email_as_a_form_error():
    UserFactory(email="ada@example.org")
    reader = UserFactory(email="grace@example.org")

    form = change_form(reader, email="ADA@example.org")

    assert not form.is_valid()
    assert form.errors["email"] == [EMAIL_TAKEN]


@pytest.mark.django_db
def test_the_admin_keeps_a_readers_own_email_in_another_case():
    reader = UserFactory(email="grace@example.org")

    form = change_form(reader, email="Grace@Example.org")

    assert form.is_valid(), form.errors
