import re

import pytest
from django.urls import reverse

from apps.accounts import ratelimit, views
from tests.factories import USER_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a brand new passphrase"


def reset_link(mail) -> str:
    return re.search(r"http://testserver(/accounts/reset/\S+/)", mail.body).group(1)


def test_reset_by_email_sets_a_new_password_logs_in_and_unlocks_the_account(client, mailoutbox):
    user = UserFactory(email="ada@example.org")
    for _ in range(ratelimit.LOGIN_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"email": "ada@example.org", "password": "forgot"})

    response = client.post(reverse("accounts:password_reset"), {"email": "ADA@example.org"})
    assert response.status_code == 302 and response.url == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ada@example.org"] and mail.subject == "Reset your Retriever password"

    form_url = client.get(reset_link(mail)).url  # Django swaps the token out of the URL first
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)

    assert response.redirect_chain[-1] == (reverse("accounts:settings"), 302)
    assert views.PASSWORD_RESET_COMPLETE in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(USER_PASSWORD)
    client.logout()
    login = {"email": "ada@example.org", "password": NEW_PASSWORD}
    assert client.post(reverse("accounts:login"), login, REMOTE_ADDR="192.0.2.9").status_code == 302


def test_a_reset_link_works_once(client, mailoutbox):
    UserFactory(email="ada@example.org")
    client.post(reverse("accounts:password_reset"), {"email": "ada@example.org"})
    link = reset_link(mailoutbox[0])
    form_url = client.get(link).url
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.logout()

    response = client.get(link, follow=True)

    assert response.context["validlink"] is False
    assert "expired or was already used" in response.content.decode()


def test_an_unknown_email_sends_nothing_and_looks_the_same(client, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})

    assert response.status_code == 302 and response.url == reverse("accounts:password_reset_done")
    assert mailoutbox == []
