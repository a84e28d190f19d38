"""An editor's week in a real browser: reject a paper, pick an older one with a Markdown note, publish;
then a reader sees the pick with its rendered, sanitized note and not the rejected paper. On a desktop
and at a 390 px phone width."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from apps.accounts.services import EDITORS_GROUP
from apps.curation.models import AuditEntry
from apps.digests.models import Decision, Digest
from tests.browser.conftest import log_in
from tests.factories import PaperFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NOTE = 'A **must read** on [logQ](https://arxiv.org/abs/2507.09331). <img src=x onerror="window.pwned=1"> [x](javascript:window.pwned=1)'


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_an_editor_rejects_picks_and_publishes_and_a_reader_sees_the_result(browser, live_server, settings, width):
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    editor = UserFactory(email="editor@example.org", is_staff=True)
    editor.groups.add(Group.objects.get_or_create(name=EDITORS_GROUP)[0])
    UserFactory(email="reader@example.org")
    kept = PaperFactory(announced=dt.date(2026, 6, 23), title="Kept paper on sequential recommendation")
    spam = PaperFactory(announced=dt.date(2026, 6, 24), title="Off-topic paper to reject")
    classic = PaperFactory(announced=dt.date(2017, 6, 12), title="An older classic on two-tower retrieval")

    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm before publishing
    log_in(page, editor.email)
    page.get_by_role("link", name="Curation").click()
    page.get_by_role("heading", name="Week 2026-W26").wait_for()
    page.evaluate("window.notReloaded = true")

    page.get_by_label(f"Select {spam.title}").check()
    page.get_by_role("button", name="✕ Reject").click()
    page.get_by_text("1 paper marked rejected.").wait_for()
    assert page.locator(f"[id='row-{spam.arxiv_id}'] .badge").inner_text() == "rejected"

    page.get_by_label("arXiv id or link").fill(f"arXiv:{classic.arxiv_id}")
    page.get_by_label("Editors' note (Markdown)").fill(NOTE)
    page.get_by_role("button", name="Add pick").click()
    page.get_by_text(f"Picked {classic.arxiv_id} for 2026-W26.").wait_for()
    assert page.locator(".rendered-note strong").inner_text() == "must read"

    page.get_by_role("button", name="Publish 2026-W26").click()
    page.get_by_text("2026-W26 is published").wait_for()
    assert page.evaluate("window.notReloaded") is True  # every step above swapped in place (htmx)
    if width <= 390:
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # the wide table scrolls inside
    assert Digest.objects.get().is_published
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["decide:reject", "pick:add", "digest:publish"]
    context.close()

    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, "reader@example.org")
    page.goto("/digest/2026-W26/")
    picks = page.locator("section[aria-labelledby=picks-heading]")
    picks.get_by_role("link", name=classic.title).wait_for()
    assert picks.locator(".note-body strong").inner_text() == "must read"
    assert picks.get_by_role("link", name="logQ").get_attribute("href") == "https://arxiv.org/abs/2507.09331"
    assert picks.locator(".note img").count() == 0 and picks.locator(".note a[href^='javascript']").count() == 0
    assert page.evaluate("window.pwned") is None
    assert page.get_by_role("link", name=kept.title).is_visible()
    assert page.get_by_text(spam.title).count() == 0
    if width <= 390:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
    cache.clear()  # the weeks cached here were made from factory papers, which bump no generation


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_all_on_this_page_ticks_every_row_with_javascript_and_still_works_without(
    browser, live_server, settings, width
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    editor = UserFactory(email="editor@example.org", is_staff=True)
    editor.groups.add(Group.objects.get_or_create(name=EDITORS_GROUP)[0])
    papers = [PaperFactory(announced=dt.date(2026, 6, 22 + i), title=f"Queue paper {i}") for i in range(3)]
    viewport = {"width": width, "height": 900}

    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    log_in(page, editor.email)
    page.goto("/curation/weeks/2026-W26/")
    everything = page.get_by_label("All 3 on this page")
    rows = page.locator("table.queue input[name=paper]")
    everything.check()
    assert [rows.nth(i).is_checked() for i in range(3)] == [True, True, True]
    page.get_by_label(f"Select {papers[0].title}").uncheck()  # the box follows the rows: now mixed
    assert not everything.is_checked() and everything.evaluate("box => box.indeterminate")
    page.get_by_role("button", name="✓ Accept").click()
    page.get_by_text("2 papers marked accepted.").wait_for()
    assert set(Decision.objects.values_list("paper_id", flat=True)) == {papers[1].pk, papers[2].pk}
    page.get_by_label("All 3 on this page").check()  # in the swapped-in workspace too
    assert [rows.nth(i).is_checked() for i in range(3)] == [True, True, True]
    if width <= 390:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()

    context = browser.new_context(base_url=live_server.url, viewport=viewport, java_script_enabled=False)
    page = context.new_page()
    log_in(page, editor.email)
    page.goto("/curation/weeks/2026-W26/")
    page.get_by_label("All 3 on this page").check()  # the rows stay unticked: the server takes the page's papers
    page.get_by_role("button", name="✕ Reject").click()
    page.get_by_text("3 papers marked rejected.").wait_for()
    assert set(Decision.objects.values_list("verdict", flat=True)) == {"reject"} and Decision.objects.count() == 3
    context.close()
