"""With no EMAIL_HOST, each email is kept as its own .eml file that the curation pages can read."""

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection

from apps.newsletters import outbox


@pytest.fixture
def outbox_settings(settings, tmp_path):
    settings.EMAIL_BACKEND = "apps.newsletters.outbox.OutboxBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return settings


def test_each_email_is_a_file_listed_newest_first_and_read_back_whole(outbox_settings):
    for n in range(3):
        message = EmailMultiAlternatives(
            f"Subject {n}", f"text {n}", to=[f"r{n}@example.org"], connection=get_connection()
        )
        message.attach_alternative(f"<p>html {n}</p>", "text/html")
        message.send()
    kept = outbox.kept_emails()
    assert [email.subject for email in kept] == ["Subject 2", "Subject 1", "Subject 0"]
    email = outbox.kept_email(kept[0].name)
    assert (email.to, email.text.strip(), email.html.strip()) == ("r2@example.org", "text 2", "<p>html 2</p>")


def test_names_outside_the_outbox_are_refused(outbox_settings, tmp_path):
    (tmp_path / "secret.eml").write_text("Subject: no")
    assert outbox.kept_email("../secret.eml") is None
    assert outbox.kept_email("20260101T000000.000000-" + "0" * 32 + ".eml") is None
    assert outbox.kept_emails() == []
