"""The private feed link: only the current, well-formed link of an active reader opens a feed."""

import pytest
from django.core import signing
from django.urls import reverse

from apps.accounts.feed_links import FEED_SALT, feed_reader, feed_token
from apps.accounts.views import FEED_LINK_RESET
from tests.bad_input import TOKEN_PAYLOADS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "payload", [*TOKEN_PAYLOADS, [1], [1, 2, 3], ["1", 0], [1, "0"], [True, 0], [1.0, 0], [2**40, 0]]
)
def test_a_signed_token_of_any_unexpected_shape_is_a_404(client, payload):
    UserFactory()
    token = signing.Signer(salt=FEED_SALT).sign_object(payload)
    assert feed_reader(token) is None
    assert client.get(reverse("digests:feed", args=[token])).status_code == 404


def test_garbage_tokens_are_a_404(client):
    for token in ["x", "x" * 5000, "a:b:c", "ı", "%00"]:
        assert client.get(f"/feeds/{token}/digest.atom").status_code == 404


def test_resetting_the_feed_link_retires_the_old_one(client):
    reader = UserFactory()
    old = feed_token(user=reader)
    assert feed_reader(old) == reader
    client.force_login(reader)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert reverse("digests:feed", args=[old]) in page and "Reset my feed link" in page

    response = client.post(reverse("accounts:feed_reset"), follow=True)

    new = feed_token(user=reader)
    assert (
        FEED_LINK_RESET in response.content.decode()
        and reverse("digests:feed", args=[new]) in response.content.decode()
    )
    assert new != old and feed_reader(new) == reader and feed_reader(old) is None
    client.logout()
    assert client.get(reverse("digests:feed", args=[old])).status_code == 404
    assert client.get(reverse("digests:feed", args=[new])).status_code == 200


def test_the_reset_is_a_post_by_the_reader_only(client):
    response = client.post(reverse("accounts:feed_reset"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:feed_reset")).status_code == 405


def test_an_inactive_readers_feed_is_a_404(client):
    reader = UserFactory(is_active=False)
    assert client.get(reverse("digests:feed", args=[feed_token(user=reader)])).status_code == 404
