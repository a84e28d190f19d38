import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from apps.accounts import forms, services, views
from apps.accounts.models import Profile
from tests.factories import USER_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def logged_in_user(client):
    user = UserFactory()
    client.force_login(user)
    return user


def h1_count(response) -> int:
    return response.content.decode().count("<h1")


def test_signup_page_is_accessible_and_the_nav_offers_log_in(client):
    response = client.get(reverse("accounts:signup"))

    html = response.content.decode()
    assert response.status_code == 200 and h1_count(response) == 1
    assert '<label for="id_email">' in html and 'autocomplete="email"' in html
    assert 'autocomplete="new-password"' in html and 'maxlength="254"' in html
    assert 'aria-describedby="id_password_helptext"' in html
    assert 'href="/accounts/login/"' in html and 'href="/accounts/signup/"' in html
    assert "csrfmiddlewaretoken" in html


def test_signup_logs_in_and_goes_where_the_setting_says(client, settings):
    settings.SIGNUP_REDIRECT_URL = "/papers/"

    response = client.post(reverse("accounts:signup"), {"email": "Ada@Example.org", "password": USER_PASSWORD})

    assert response.status_code == 302 and response.url == "/papers/"
    user = User.objects.get(username="ada@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert Profile.objects.filter(user=user).exists()


def test_duplicate_signup_shows_the_error_on_the_email_field_and_keeps_the_email(client):
    UserFactory(email="ada@example.org")

    response = client.post(reverse("accounts:signup"), {"email": "ADA@example.org", "password": USER_PASSWORD})

    html = response.content.decode()
    assert response.status_code == 200
    assert services.EMAIL_TAKEN.replace("'", "&#x27;") in html
    assert 'value="ADA@example.org"' in html
    assert 'aria-invalid="true" aria-describedby="id_email_error" id="id_email"' in html
    assert '<ul class="errorlist" id="id_email_error">' in html
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "url_name, data, field",
    [
        ("accounts:signup", {"email": "a" * 300 + "@example.org", "password": USER_PASSWORD}, "email"),
        ("accounts:signup", {"email": "ada@example.org", "password": "x" * 5000}, "password"),
        ("accounts:login", {"email": "ada@example.org", "password": "x" * 5000}, "password"),
    ],
)
def test_oversized_input_gets_a_clear_error(client, url_name, data, field):
    response = client.post(reverse(url_name), data)

    assert response.status_code == 200
    assert response.context["form"].has_error(field, "max_length")


def test_login_by_email_in_any_case_then_log_out_by_post(client):
    user = UserFactory(email="ada@example.org")

    response = client.post(reverse("accounts:login"), {"email": "ADA@EXAMPLE.ORG", "password": USER_PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    assert client.session["_auth_user_id"] == str(user.pk)

    page = client.get(reverse("accounts:settings")).content.decode()
    assert f'action="{reverse("accounts:logout")}"' in page and 'href="/accounts/signup/"' not in page

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_works_for_a_user_whose_username_is_not_their_email(client):
    UserFactory(username="editor", email="editor@localhost")

    response = client.post(reverse("accounts:login"), {"email": "editor@localhost", "password": USER_PASSWORD})

    assert response.status_code == 302


def test_wrong_password_says_so_without_telling_which(client):
    UserFactory(email="ada@example.org")

    response = client.post(reverse("accounts:login"), {"email": "ada@example.org", "password": "not it"})
    unknown = client.post(reverse("accounts:login"), {"email": "nobody@example.org", "password": "not it"})

    assert response.context["form"].non_field_errors() == [forms.LOGIN_INVALID]
    assert unknown.context["form"].non_field_errors() == [forms.LOGIN_INVALID]


def test_forms_refuse_posts_without_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    UserFactory(email="ada@example.org")

    response = client.post(reverse("accounts:login"), {"email": "ada@example.org", "password": USER_PASSWORD})

    assert response.status_code == 403


def test_settings_needs_a_login(client):
    response = client.get(reverse("accounts:settings"))

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={reverse('accounts:settings')}"


def test_settings_page_saves_time_zone_and_email_frequency(client):
    user = logged_in_user(client)

    page = client.get(reverse("accounts:settings"))
    assert h1_count(page) == 1 and '<option value="UTC" selected>' in page.content.decode()

    data = {"time_zone": "Asia/Tokyo", "email_frequency": "off"}
    response = client.post(reverse("accounts:settings"), data, follow=True)

    assert response.redirect_chain == [(reverse("accounts:settings"), 302)]
    assert views.SETTINGS_SAVED in response.content.decode()
    assert Profile.objects.values_list("time_zone", "email_frequency").get(user=user) == ("Asia/Tokyo", "off")


def test_settings_refuses_an_unknown_time_zone(client):
    user = logged_in_user(client)

    response = client.post(reverse("accounts:settings"), {"time_zone": "Mars/Base", "email_frequency": "weekly"})

    assert response.status_code == 200 and response.context["form"].has_error("time_zone")
    assert services.profile_get_or_create(user=user).time_zone == "UTC"


def test_password_change_keeps_the_reader_logged_in(client):
    user = logged_in_user(client)
    new = "a brand new passphrase"

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": USER_PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302 and response.url == reverse("accounts:settings")
    user.refresh_from_db()
    assert user.check_password(new)
    assert client.get(reverse("accounts:settings")).status_code == 200


def test_password_change_caps_the_new_password_length(client):
    logged_in_user(client)
    huge = "x" * 5000

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": USER_PASSWORD, "new_password1": huge, "new_password2": huge},
    )

    assert response.status_code == 200 and response.context["form"].has_error("new_password1", "max_length")


def test_delete_needs_the_password(client):
    user = logged_in_user(client)

    response = client.post(reverse("accounts:delete"), {"password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"password": [forms.DELETE_WRONG_PASSWORD]}
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_removes_the_account_and_logs_out(client):
    user = logged_in_user(client)
    page = client.get(reverse("accounts:delete")).content.decode()
    assert "every" in page and "interaction" in page and "cannot be undone" in page

    response = client.post(reverse("accounts:delete"), {"password": USER_PASSWORD}, follow=True)

    assert not User.objects.filter(pk=user.pk).exists()
    assert "_auth_user_id" not in client.session
    assert views.ACCOUNT_DELETED in response.content.decode()


def test_admin_user_page_has_the_profile_inline(admin_client):
    user = UserFactory()
    services.profile_get_or_create(user=user)

    response = admin_client.get(reverse("admin:auth_user_change", args=[user.pk]))

    assert response.status_code == 200
    assert 'name="profile-0-time_zone"' in response.content.decode()
