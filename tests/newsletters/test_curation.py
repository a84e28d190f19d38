"""The editors' newsletter pages: the curation check, deliveries with reasons, preview, kept emails."""

import pytest
from django.contrib.auth.models import Group
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from apps.accounts.services import EDITORS_GROUP
from apps.newsletters import outbox
from apps.newsletters.compose import PREVIEW_UNSUBSCRIBE_URL
from apps.newsletters.models import NewsletterDelivery
from apps.recommendations.models import Interaction
from tests.factories import UserFactory
from tests.newsletters.conftest import WEEK

pytestmark = pytest.mark.usefixtures("newsletter_settings")
Status = NewsletterDelivery.Status
PAGES = ["newsletters_curation:deliveries", "newsletters_curation:preview", "newsletters_curation:kept_list"]


@pytest.fixture
def editor(db, client):
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name=EDITORS_GROUP)[0])
    client.force_login(user)
    return user


@pytest.mark.parametrize("name", PAGES)
def test_readers_are_refused_and_visitors_sent_to_log_in(client, db, name):
    assert client.get(reverse(name)).status_code == 302
    client.force_login(UserFactory())
    assert client.get(reverse(name)).status_code == 403


def test_deliveries_per_week_with_the_reasons_of_failures(client, editor, week_papers, readers):
    tokyo, plain, no_profile = readers["subscribed"]
    NewsletterDelivery.objects.create(user=tokyo, week=WEEK.monday, status=Status.SENT)
    NewsletterDelivery.objects.create(
        user=plain, week=WEEK.monday, status=Status.FAILED, error="SMTP 550: no such user"
    )
    NewsletterDelivery.objects.create(user=no_profile, week=WEEK.monday, status=Status.QUEUED)
    html = client.get(reverse("newsletters_curation:deliveries")).content.decode()
    assert "<td>1</td><td>0</td><td>1</td>\n      <td>1</td><td>0</td><td>3</td>" in html
    assert "SMTP 550: no such user" in html


def test_the_empty_state_says_how_newsletters_start(client, editor):
    assert "Publishing a week sends it" in client.get(reverse("newsletters_curation:deliveries")).content.decode()


def test_preview_any_readers_email_without_counting_clicks(client, editor, published, readers):
    tokyo = readers["subscribed"][0]
    response = client.get(reverse("newsletters_curation:preview"), {"week": WEEK.label, "reader": tokyo.email.upper()})
    html = response.content.decode()
    assert response.status_code == 200 and tokyo.email in html
    assert published.picks and "Editors’ picks" in html and "(Asia/Tokyo)" in html
    assert reverse("newsletters:click", args=["x"]).rsplit("x", 1)[0] not in html  # links go straight to papers
    assert not Interaction.objects.exists() and not NewsletterDelivery.objects.exists()


def test_preview_never_carries_the_readers_live_unsubscribe_link(client, editor, published, readers):
    """An editor clicking "Unsubscribe" in a preview must not unsubscribe the reader."""
    tokyo = readers["subscribed"][0]
    html = client.get(reverse("newsletters_curation:preview"), {"week": WEEK.label, "reader": tokyo.email}).content
    html = html.decode()
    assert reverse("newsletters:unsubscribe", args=["x"]).rsplit("x", 1)[0] not in html  # neither link nor header
    assert html.count(PREVIEW_UNSUBSCRIBE_URL) == 3  # the HTML part's footer, the text part's, List-Unsubscribe


def test_preview_of_a_draft_week_shows_the_picks_as_they_stand(client, editor, week_papers):
    html = client.get(reverse("newsletters_curation:preview"), {"week": WEEK.label}).content.decode()
    assert "not published yet" in html and "A careful ablation of &lt;em&gt;logQ&lt;/em&gt;" in html  # in srcdoc


def test_preview_for_an_unknown_reader_says_so(client, editor, week_papers):
    response = client.get(reverse("newsletters_curation:preview"), {"reader": "nobody@example.org"})
    assert response.status_code == 404 and "No reader has that email address." in response.content.decode()


def test_kept_emails_are_listed_and_shown(client, editor, settings, tmp_path):
    settings.EMAIL_BACKEND = "apps.newsletters.outbox.OutboxBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    message = EmailMultiAlternatives("Week 48 for you", "plain words", to=["ada@example.org"])
    message.attach_alternative("<p>rich words</p>", "text/html")
    message.send()
    listing = client.get(reverse("newsletters_curation:kept_list")).content.decode()
    name = outbox.kept_emails()[0].name
    assert "Week 48 for you" in listing and reverse("newsletters_curation:kept_detail", args=[name]) in listing
    shown = client.get(reverse("newsletters_curation:kept_detail", args=[name])).content.decode()
    assert "plain words" in shown and "&lt;p&gt;rich words&lt;/p&gt;" in shown and "ada@example.org" in shown
    assert client.get(reverse("newsletters_curation:kept_detail", args=["..%2Fsecret.eml"])).status_code == 404
