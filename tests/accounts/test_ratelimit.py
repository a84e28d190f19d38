from unittest import mock

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from apps.accounts import ratelimit
from tests.factories import USER_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def attempt(client, email, password="wrong password", ip="192.0.2.1"):
    return client.post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR=ip)


def fail(client, times, email="ada@example.org", ip="192.0.2.1"):
    for _ in range(times):
        assert attempt(client, email, ip=ip).status_code == 200


def test_after_five_failures_the_right_password_is_refused_unchecked_with_429(client):
    UserFactory(email="ada@example.org")
    fail(client, ratelimit.LOGIN_FAILURE_LIMIT)

    with mock.patch("apps.accounts.forms.authenticate") as authenticate:
        response = attempt(client, "ada@example.org", USER_PASSWORD)

    assert response.status_code == 429
    assert response.context["form"].non_field_errors() == [ratelimit.LOGIN_RATE_LIMITED]
    authenticate.assert_not_called()
    assert "_auth_user_id" not in client.session


def test_four_failures_still_let_the_reader_in(client):
    UserFactory(email="ada@example.org")
    fail(client, ratelimit.LOGIN_FAILURE_LIMIT - 1)

    assert attempt(client, "ada@example.org", USER_PASSWORD).status_code == 302


def test_an_account_is_protected_across_addresses_and_in_any_case(client):
    UserFactory(email="ada@example.org")
    UserFactory(email="alan@example.org")
    for n in range(ratelimit.LOGIN_FAILURE_LIMIT):
        fail(client, 1, email="ADA@example.org" if n % 2 else "ada@example.org", ip=f"198.51.100.{n}")

    assert attempt(client, "ada@example.org", USER_PASSWORD, ip="203.0.113.9").status_code == 429
    assert attempt(client, "alan@example.org", USER_PASSWORD, ip="203.0.113.9").status_code == 302


def test_an_address_is_stopped_whatever_account_it_tries(client):
    UserFactory(email="ada@example.org")
    for n in range(ratelimit.LOGIN_FAILURE_LIMIT):
        fail(client, 1, email=f"guess{n}@example.org", ip="192.0.2.66")

    assert attempt(client, "ada@example.org", USER_PASSWORD, ip="192.0.2.66").status_code == 429
    assert attempt(client, "ada@example.org", USER_PASSWORD, ip="192.0.2.67").status_code == 302


def test_a_successful_login_resets_the_accounts_count_but_not_the_addresses(client):
    UserFactory(email="ada@example.org")
    fail(client, ratelimit.LOGIN_FAILURE_LIMIT - 1, ip="192.0.2.1")
    assert attempt(client, "ada@example.org", USER_PASSWORD, ip="192.0.2.1").status_code == 302
    client.logout()

    fail(client, ratelimit.LOGIN_FAILURE_LIMIT - 1, ip="192.0.2.2")
    assert attempt(client, "ada@example.org", USER_PASSWORD, ip="192.0.2.2").status_code == 302
    client.logout()
    fail(client, 1, email="someone@example.org", ip="192.0.2.1")
    assert attempt(client, "ada@example.org", USER_PASSWORD, ip="192.0.2.1").status_code == 429


def test_failure_counters_expire_after_the_window():
    ratelimit.login_failure_record(ip="192.0.2.1", email="ada@example.org")

    redis = cache._cache.get_client()
    ttls = [redis.ttl(key) for key in redis.keys("*login-failures*")]
    assert len(ttls) == 2
    assert all(0 < ttl <= ratelimit.LOGIN_FAILURE_WINDOW_SECONDS for ttl in ttls)


def test_a_cache_outage_fails_open(client, settings, tmp_path):
    UserFactory(email="ada@example.org")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"unix://{tmp_path}/nothing-here.sock",
        }
    }

    assert attempt(client, "ada@example.org").status_code == 200
    assert attempt(client, "ada@example.org", USER_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "proxies, forwarded, expected",
    [
        (0, "203.0.113.5", "10.0.0.1"),
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        (2, "203.0.113.5", "10.0.0.1"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert ratelimit.client_ip(request) == expected


def test_sign_ups_from_one_address_are_capped_and_the_form_keeps_what_was_typed(client):
    signup = reverse("accounts:signup")
    for i in range(ratelimit.SIGNUP_LIMIT):
        client.post(
            signup,
            {"email": f"reader{i}@example.org", "password": "correct horse battery staple"},
            REMOTE_ADDR="192.0.2.7",
        )
        client.logout()
    response = client.post(
        signup, {"email": "one.more@example.org", "password": "correct horse battery staple"}, REMOTE_ADDR="192.0.2.7"
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert ratelimit.TOO_MANY_SIGNUPS in html and 'value="one.more@example.org"' in html
    assert not UserFactory._meta.model.objects.filter(email="one.more@example.org").exists()
    other = client.post(
        signup,
        {"email": "elsewhere@example.org", "password": "correct horse battery staple"},
        REMOTE_ADDR="198.51.100.9",
    )
    assert other.status_code == 302  # another network is not held back


def test_password_reset_requests_are_capped_per_address(client, mailoutbox):
    UserFactory(email="ada@example.org")
    reset = reverse("accounts:password_reset")
    for _ in range(ratelimit.PASSWORD_RESET_LIMIT):
        assert client.post(reset, {"email": "ada@example.org"}, REMOTE_ADDR="192.0.2.8").status_code == 302
    refused = client.post(reset, {"email": "ada@example.org"}, REMOTE_ADDR="192.0.2.8")
    assert refused.status_code == 429 and ratelimit.TOO_MANY_RESETS in refused.content.decode()
    assert len(mailoutbox) == ratelimit.PASSWORD_RESET_LIMIT
