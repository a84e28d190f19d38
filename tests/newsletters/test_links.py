"""The email's links: paper clicks and unsubscribing (RFC 8058 one-click POST and the footer link)."""

import datetime as dt

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from apps.accounts.models import EmailFrequency, Profile
from apps.newsletters import tokens
from apps.recommendations.models import Interaction
from tests.factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(db):
    user = UserFactory()
    Profile.objects.create(user=user)
    return user


def frequency(user) -> str:
    return Profile.objects.get(user=user).email_frequency


def unsubscribe_url(token: str) -> str:
    return reverse("newsletters:unsubscribe", args=[token])


def test_a_click_is_recorded_as_a_view_from_the_email_then_goes_to_the_paper(client, reader):
    paper = PaperFactory()
    token = tokens.click_token(user_id=reader.pk, paper_id=paper.pk, week="2026-W48")
    response = client.get(reverse("newsletters:click", args=[token]))
    assert response.status_code == 302 and response.url == reverse("paper-detail", args=[paper.arxiv_id])
    interaction = Interaction.objects.get(user=reader, paper=paper)
    assert (interaction.kind, interaction.source) == (Interaction.Kind.VIEW, Interaction.Source.EMAIL)


def test_a_forged_click_is_a_clear_400_and_records_nothing(client, reader):
    paper = PaperFactory()
    token = tokens.click_token(user_id=reader.pk, paper_id=paper.pk, week="2026-W48")
    forged = signing.dumps([reader.pk + 1, paper.pk, "2026-W48"], salt=tokens.CLICK_SALT, key="not-our-key")
    for bad in (forged, token[:-3] + "abc", "nonsense"):
        response = client.get(reverse("newsletters:click", args=[bad]))
        assert response.status_code == 400
        assert "This link doesn’t work" in response.content.decode()
    assert not Interaction.objects.exists()


def test_a_click_on_a_paper_gone_from_the_catalogue_opens_its_week(client, reader):
    token = tokens.click_token(user_id=reader.pk, paper_id=999_999, week="2026-W48")
    response = client.get(reverse("newsletters:click", args=[token]))
    assert response.status_code == 302 and response.url == reverse("digests:week", args=["2026-W48"])


def test_one_click_unsubscribe_by_post_needs_no_session_or_csrf_token(reader):
    client = Client(enforce_csrf_checks=True)
    token = tokens.unsubscribe_token(user=reader)
    response = client.post(unsubscribe_url(token), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "You’re unsubscribed" in response.content.decode()
    assert frequency(reader) == EmailFrequency.OFF
    assert client.post(unsubscribe_url(token), {"List-Unsubscribe": "One-Click"}).status_code == 200  # again: same


def test_the_footer_link_asks_first_and_changes_nothing_until_confirmed(client, reader):
    token = tokens.unsubscribe_token(user=reader)
    page = client.get(unsubscribe_url(token))
    assert page.status_code == 200 and reader.email in page.content.decode()
    assert frequency(reader) == EmailFrequency.WEEKLY  # link scanners only GET
    client.post(unsubscribe_url(token))
    assert frequency(reader) == EmailFrequency.OFF


def test_forged_and_stale_unsubscribe_tokens_get_a_400_page_and_change_nothing(client, reader, settings):
    other = UserFactory()
    Profile.objects.create(user=other)
    token = tokens.unsubscribe_token(user=reader)
    forged = signing.dumps([other.pk, other.email], salt=tokens.UNSUBSCRIBE_SALT, key="not-our-key")
    click_token = tokens.click_token(user_id=other.pk, paper_id=1, week="2026-W48")  # right key, wrong purpose
    for bad in (forged, token[:-2] + "xx", click_token, "abc"):
        for method in (client.get, client.post):
            response = method(unsubscribe_url(bad))
            assert response.status_code == 400
            assert "Nothing was changed" in response.content.decode()
    settings.NEWSLETTER_UNSUBSCRIBE_MAX_AGE = dt.timedelta(seconds=-1)  # every token is now too old
    response = client.post(unsubscribe_url(token))
    assert response.status_code == 400 and "older than" in response.content.decode()
    assert frequency(reader) == frequency(other) == EmailFrequency.WEEKLY


def test_a_token_for_an_address_the_account_no_longer_has_is_stale(client, reader):
    token = tokens.unsubscribe_token(user=reader)
    reader.email = "new-address@example.org"
    reader.save()
    response = client.post(unsubscribe_url(token))
    assert response.status_code == 400 and "no longer exists" in response.content.decode()
    assert frequency(reader) == EmailFrequency.WEEKLY


def test_resubscribe_from_settings(client, reader):
    client.post(unsubscribe_url(tokens.unsubscribe_token(user=reader)))
    client.force_login(reader)
    response = client.post(reverse("accounts:settings"), {"time_zone": "UTC", "email_frequency": EmailFrequency.WEEKLY})
    assert response.status_code == 302 and frequency(reader) == EmailFrequency.WEEKLY
