"""Sending against a real SMTP server (aiosmtpd): content, headers, links, and each email exactly once."""

import re
from urllib.parse import urlsplit

import pytest
from django.db import transaction

from apps.newsletters.models import NewsletterDelivery
from apps.newsletters.services import Outcome, deliveries_send, newsletters_start
from apps.recommendations.models import Interaction
from tests.newsletters.conftest import WEEK

pytestmark = pytest.mark.usefixtures("newsletter_settings", "published")
Status = NewsletterDelivery.Status


def start_and_send():
    with transaction.atomic():
        ids = newsletters_start(week=WEEK)
    return deliveries_send(delivery_ids=ids)


def links(message) -> list[str]:
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    return sorted(set(re.findall(r'href="([^"]+)"', html))), sorted(set(re.findall(r"https?://\S+", text)))


def test_each_subscribed_reader_gets_a_multipart_email_with_unsubscribe_headers(smtp_server, week_papers, readers):
    result = start_and_send()

    assert result.counts[Outcome.SENT] == 3
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(u.email for u in readers["subscribed"])
    assert not smtp_server.to(readers["off"].email)
    message = smtp_server.to(readers["subscribed"][0].email)[0]
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://testserver/newsletters/unsubscribe/[^>]+/>", message["List-Unsubscribe"].strip())
    delivery = NewsletterDelivery.objects.get(user=readers["subscribed"][0], week=WEEK.monday)
    assert delivery.status == Status.SENT and delivery.message_id == message["Message-ID"]


def test_the_email_has_picks_first_inlined_css_no_script_and_the_readers_time_zone(smtp_server, week_papers, readers):
    start_and_send()
    message = smtp_server.to(readers["subscribed"][0].email)[0]  # the reader in Tokyo
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()

    pick = week_papers[2]
    assert html.index("Editors’ picks") < html.index(pick.title) < html.index("For you")
    assert "A careful ablation of <em>logQ</em> correction." in html  # the note's Markdown, rendered
    assert "A careful ablation of *logQ* correction." in text
    assert html.count(pick.title) == 1  # a pick is not listed again among the personal papers
    assert all(paper.title in text for paper in week_papers)
    assert "<script" not in html.lower()
    assert 'class="paper-title" href="' in html and 'style="' in html  # css inlined onto the elements
    assert "prefers-color-scheme: dark" in html  # the dark-mode rules kept in a <style>
    assert "(Asia/Tokyo)" in text


def test_every_link_resolves_and_a_paper_click_is_recorded_as_from_the_email(smtp_server, week_papers, readers, client):
    start_and_send()
    reader = readers["subscribed"][1]
    html_links, text_links = links(smtp_server.to(reader.email)[0])
    assert set(html_links) == set(text_links)
    for url in html_links:
        path = urlsplit(url).path
        response = client.get(path, follow=True)
        assert response.status_code == 200, url
    clicks = Interaction.objects.filter(user=reader, source=Interaction.Source.EMAIL, kind=Interaction.Kind.VIEW)
    assert clicks.count() == len(week_papers)  # each paper link once: the pick and the seven others


def test_a_second_run_sends_nothing(smtp_server, week_papers, readers):
    start_and_send()
    again = start_and_send()
    assert len(smtp_server.messages) == 3
    assert again.counts[Outcome.SENT] == 0
    assert NewsletterDelivery.objects.filter(week=WEEK.monday).count() == 3


def test_a_duplicated_batch_skips_what_is_already_sent(smtp_server, week_papers, readers):
    with transaction.atomic():
        ids = newsletters_start(week=WEEK)
    first, duplicate = deliveries_send(delivery_ids=ids), deliveries_send(delivery_ids=ids)
    assert first.counts[Outcome.SENT] == 3 and duplicate.counts[Outcome.SKIPPED] == 3
    assert len(smtp_server.messages) == 3


def test_a_transient_error_queues_the_rest_for_a_retry(smtp_server, week_papers, readers):
    smtp_server.refuse_next(1)
    result = start_and_send()
    assert result.counts[Outcome.RETRY] == 1 and len(result.retry_ids) == 3
    assert "421" in result.retry_reason
    assert not smtp_server.messages
    retry = deliveries_send(delivery_ids=result.retry_ids)
    assert retry.counts[Outcome.SENT] == 3 and len(smtp_server.messages) == 3


def test_a_permanent_refusal_is_recorded_with_its_reason_and_the_others_still_go(smtp_server, week_papers, readers):
    smtp_server.refuse_next(1, "550 5.1.1 Mailbox does not exist")
    result = start_and_send()
    assert result.counts[Outcome.FAILED] == 1 and result.counts[Outcome.SENT] == 2
    failed = NewsletterDelivery.objects.get(status=Status.FAILED)
    assert failed.error == "SMTP 550: 5.1.1 Mailbox does not exist"
    assert len(smtp_server.messages) == 2
    assert start_and_send().counts[Outcome.SENT] == 0  # failed rows are not retried by a second run


def test_a_reader_who_unsubscribes_after_queueing_is_not_sent(smtp_server, week_papers, readers):
    with transaction.atomic():
        ids = newsletters_start(week=WEEK)
    reader = readers["subscribed"][1]
    reader.profile.email_frequency = "off"
    reader.profile.save()
    result = deliveries_send(delivery_ids=ids)
    assert result.counts[Outcome.CANCELLED] == 1 and not smtp_server.to(reader.email)
