import pytest
from django.core.management import CommandError, call_command

from apps.newsletters.models import NewsletterDelivery
from tests.newsletters.conftest import WEEK

pytestmark = pytest.mark.usefixtures("newsletter_settings")


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("send_newsletters", *args, stdout=out, verbosity=0)
    return out.getvalue()


def test_dry_run_counts_and_neither_sends_nor_stores(smtp_server, published, readers):
    out = run("--week", WEEK.label, "--dry-run")
    assert "would send 3, already sent 0, unsubscribed 1" in out
    assert not smtp_server.messages and not NewsletterDelivery.objects.exists()


def test_the_command_sends_the_newest_week_once_and_says_so(smtp_server, published, readers):
    first = run()  # the newest week with papers is WEEK
    assert f"{WEEK.label}: sent 3, skipped as already sent 0, unsubscribed 1, failed 0." in first
    second = run("--week", WEEK.label)
    assert f"{WEEK.label}: sent 0, skipped as already sent 3, unsubscribed 1, failed 0." in second
    assert len(smtp_server.messages) == 3
    assert "already sent 3" in run("--week", WEEK.label, "--dry-run")


def test_failures_are_counted_with_their_reasons(smtp_server, published, readers):
    smtp_server.refuse_next(1, "550 5.1.1 Mailbox does not exist")
    out = run("--week", WEEK.label)
    assert "sent 2," in out and "failed 1." in out and "failed (1): SMTP 550: 5.1.1 Mailbox does not exist" in out


def test_a_bad_week_or_an_empty_catalogue_is_a_clear_error(db):
    with pytest.raises(CommandError, match="2026-W48"):
        run("--week", "2026-48")
    with pytest.raises(CommandError, match="No papers yet"):
        run()


def test_an_unpublished_week_goes_without_picks_and_says_so(smtp_server, week_papers, readers):
    out = run("--week", WEEK.label)
    assert "not published: the emails go without editors' picks" in out and "sent 3" in out
    text = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "EDITORS' PICKS" not in text and week_papers[2].title in text  # the pinned paper, ranked like any other
