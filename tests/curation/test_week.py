"""The week's workspace: decisions, picks, publishing — each an audit row, htmx and plain POST alike."""

import datetime as dt
import re

import numpy as np
import pytest
from django.urls import reverse

from apps.curation.models import AuditEntry
from apps.digests.models import Decision, Digest, Pin
from apps.papers.relevance import current_classifier
from tests.curation.conftest import WEEK
from tests.factories import PaperFactory
from tests.search.factories import PaperEmbeddingFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(name, *args):
    return reverse(f"curation:{name}", args=args)


def test_the_queue_shows_the_weeks_papers_with_the_rule_and_filters(client, editor, week_papers):
    off_topic = PaperFactory(
        announced=WEEK.monday, title="Galaxy survey", primary_category="astro-ph", abstract="Stars."
    )
    client.force_login(editor)
    html = client.get(url("week", WEEK.label)).content.decode()
    assert all(paper.title in html for paper in week_papers) and "out by the rule" in html
    assert "category cs.IR" in html
    html = client.get(url("week", WEEK.label), {"q": "galaxy"}).content.decode()
    assert off_topic.title in html and week_papers[0].title not in html
    html = client.get(url("week", WEEK.label), {"status": "bogus", "sort": "nonsense"}).content.decode()
    assert week_papers[0].title in html  # bad filters fall back, never a 500


def queue_cells(html: str, column: int) -> dict[str, str]:
    """{arxiv id: the text of one column}, in the queue's order."""
    cells = {}
    for row in re.finditer(r'<tr id="row-(?P<id>[^"]+)".*?</tr>', html, re.S):
        cell = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)[column]
        cells[row.group("id")] = re.sub(r"<[^>]+>", "", cell).strip()
    return cells


def test_with_the_classifier_as_gate_the_queue_shows_its_probability_and_sorts_by_it(
    client, editor, week_papers, settings
):
    settings.RETRIEVER_RELEVANCE = {"classifier": True}
    classifier = current_classifier()
    towards = classifier.weights / np.linalg.norm(classifier.weights)  # the most relevant a unit vector can be
    unembedded, on_topic, off_topic, other_model = week_papers
    PaperEmbeddingFactory(paper=on_topic, model_name=classifier.text_model, vector=towards)
    PaperEmbeddingFactory(paper=off_topic, model_name=classifier.text_model, vector=-towards)
    PaperEmbeddingFactory(paper=other_model, model_name="another-text-model", vector=towards)
    high, low = classifier.probability(np.stack([towards, -towards]))
    assert high > classifier.threshold > low

    client.force_login(editor)
    html = client.get(url("week", WEEK.label), {"sort": "relevance"}).content.decode()
    assert ">Relevance</th>" in html and "out by the rule" not in html
    cells = queue_cells(html, column=2)
    assert list(cells)[:2] == [on_topic.arxiv_id, off_topic.arxiv_id]  # most relevant first, no vector last
    assert cells[on_topic.arxiv_id] == f"{high:.2f}"
    assert cells[off_topic.arxiv_id] == f"{low:.2f} below the gate"
    assert cells[unembedded.arxiv_id] == cells[other_model.arxiv_id] == "—"  # only the gate's own text model counts
    newest = list(queue_cells(client.get(url("week", WEEK.label)).content.decode(), column=2))
    assert newest != list(cells) and newest[0] == other_model.arxiv_id


def test_with_the_keyword_rule_as_gate_there_is_no_relevance_to_sort_by(client, editor, week_papers):
    client.force_login(editor)
    html = client.get(url("week", WEEK.label), {"sort": "relevance"}).content.decode()
    assert ">Rule</th>" in html and 'value="relevance"' not in html
    assert list(queue_cells(html, column=2))[0] == week_papers[3].arxiv_id  # an unknown sort falls back to newest


def test_bulk_reject_via_htmx_refreshes_the_workspace_and_writes_one_audit_row(client, editor, week_papers):
    client.force_login(editor)
    rejected = week_papers[:2]
    response = client.post(
        url("decide", WEEK.label), {"paper": [p.pk for p in rejected], "verdict": "reject", "q": "Week"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="workspace"' in html and "<html" not in html
    assert "2 papers marked rejected" in html
    assert set(Decision.objects.filter(verdict="reject").values_list("paper_id", flat=True)) == {p.pk for p in rejected}
    entry = AuditEntry.objects.get()
    assert entry.actor == editor and entry.action == "decide:reject" and entry.week == WEEK.monday
    assert entry.before == {p.arxiv_id: None for p in rejected} and entry.after == {
        p.arxiv_id: "reject" for p in rejected
    }


def test_all_on_this_page_decides_the_papers_the_page_listed_and_nothing_else(client, editor, week_papers):
    client.force_login(editor)
    html = client.get(url("week", WEEK.label), {"q": "Week paper 1"}).content.decode()
    listed = re.findall(r'name="on_page" value="(\d+)"', html)
    assert listed == [str(week_papers[1].pk)] and 'name="all_on_page"' in html
    arrived_since = PaperFactory(announced=WEEK.monday, title="Week paper 10")  # matches the filter, never shown
    response = client.post(
        url("decide", WEEK.label), {"all_on_page": "1", "on_page": listed, "verdict": "accept", "q": "Week paper 1"}
    )
    assert response.status_code == 302
    assert list(Decision.objects.values_list("paper_id", flat=True)) == [week_papers[1].pk]
    assert not Decision.objects.filter(paper=arrived_since).exists()


def test_a_verdict_with_nothing_selected_says_so_and_changes_nothing(client, editor, week_papers):
    client.force_login(editor)
    for data in ({"verdict": "reject"}, {"verdict": "reject", "on_page": [week_papers[0].pk]}):
        response = client.post(url("decide", WEEK.label), data, headers=HTMX)  # rows listed but the box unticked
        assert "Select at least one paper first." in response.content.decode()
    assert not Decision.objects.exists() and not AuditEntry.objects.exists()


def test_plain_post_redirects_back_with_the_filters(client, editor, week_papers):
    client.force_login(editor)
    response = client.post(
        url("decide", WEEK.label), {"paper": [week_papers[0].pk], "verdict": "accept", "status": "undecided"}
    )
    assert response.status_code == 302 and response.url == url("week", WEEK.label) + "?status=undecided"
    assert Decision.objects.get().verdict == "accept"


def test_a_pick_with_a_note_is_added_reordered_edited_and_removed_each_with_an_audit_row(client, editor, week_papers):
    client.force_login(editor)
    classic = PaperFactory(announced=dt.date(2015, 1, 5))
    client.post(url("pick_add", WEEK.label), {"arxiv_id": week_papers[1].arxiv_id, "note": "First"})
    client.post(
        url("pick_add", WEEK.label), {"arxiv_id": f"https://arxiv.org/abs/{classic.arxiv_id}v2", "note": "*Classic*"}
    )
    first, second = Pin.objects.order_by("order")
    assert (first.paper, second.paper) == (week_papers[1], classic)
    client.post(url("pick_move", second.pk), {"direction": "-1"})
    assert list(Pin.objects.order_by("order").values_list("paper_id", flat=True)) == [classic.pk, week_papers[1].pk]
    client.post(url("pick_edit", first.pk), {"note": "Edited"})
    client.post(url("pick_remove", second.pk))
    assert list(Pin.objects.values_list("note", flat=True)) == ["Edited"]
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    # Adding a pick accepts the paper as well: that is part of the same action.
    assert actions == ["pick:add", "pick:add", "pick:reorder", "pick:edit", "pick:remove"]
    edit = AuditEntry.objects.get(action="pick:edit")
    assert edit.before["note"] == "First" and edit.after["note"] == "Edited"


@pytest.mark.parametrize(
    "arxiv_id, error",
    [
        ("not an id", "Enter an arXiv id"),
        ("2999.99999", "is not in the catalogue"),
    ],
)
def test_invalid_picks_are_form_errors_and_nothing_is_saved(client, editor, week_papers, arxiv_id, error):
    client.force_login(editor)
    for headers in ({}, HTMX):
        response = client.post(
            url("pick_add", WEEK.label), {"arxiv_id": arxiv_id, "note": "Kept note"}, headers=headers
        )
        html = response.content.decode()
        assert response.status_code == 200 and error in html and "Kept note" in html
    assert not Pin.objects.exists() and not AuditEntry.objects.exists()


def test_a_duplicate_pick_and_an_overlong_note_are_form_errors(client, editor, week_papers):
    client.force_login(editor)
    client.post(url("pick_add", WEEK.label), {"arxiv_id": week_papers[0].arxiv_id})
    html = client.post(url("pick_add", WEEK.label), {"arxiv_id": week_papers[0].arxiv_id}).content.decode()
    assert "already a pick" in html
    html = client.post(
        url("pick_add", WEEK.label), {"arxiv_id": week_papers[1].arxiv_id, "note": "x" * 2001}
    ).content.decode()
    assert "errorlist" in html and Pin.objects.count() == 1


def test_publish_and_unpublish_are_audited_and_a_second_publish_is_refused(client, editor, week_papers):
    client.force_login(editor)
    client.post(url("pick_add", WEEK.label), {"arxiv_id": week_papers[0].arxiv_id, "note": "Read"})
    client.post(url("publish", WEEK.label))
    digest = Digest.objects.get()
    assert digest.is_published and digest.published_by == editor
    html = client.post(url("publish", WEEK.label), headers=HTMX).content.decode()
    assert "already published" in html
    html = client.post(
        url("pick_add", WEEK.label), {"arxiv_id": week_papers[1].arxiv_id}, headers=HTMX
    ).content.decode()
    assert Pin.objects.count() == 1  # frozen: the form is not even offered
    client.post(url("unpublish", WEEK.label))
    assert not Digest.objects.get().is_published
    publish, unpublish = AuditEntry.objects.filter(action__startswith="digest:").order_by("id")
    assert (publish.action, publish.before["status"], publish.after["status"]) == (
        "digest:publish",
        "draft",
        "published",
    )
    assert publish.after["picks"] == [week_papers[0].arxiv_id]
    assert unpublish.action == "digest:unpublish" and unpublish.after["status"] == "draft"


def test_the_preview_shows_a_readers_view_with_the_drafts_picks(client, editor, reader, week_papers):
    client.force_login(editor)
    client.post(
        url("pick_add", WEEK.label), {"arxiv_id": week_papers[2].arxiv_id, "note": "**Bold** <script>x</script>"}
    )
    html = client.get(url("preview", WEEK.label), {"reader": reader.email}).content.decode()
    assert f"as {reader.email}" in html and "<strong>Bold</strong>" in html and "<script>x" not in html
    html = client.get(url("preview", WEEK.label), {"reader": "nobody@example.org"}).content.decode()
    assert "No reader with this email" in html


def test_the_audit_log_lists_actions(client, editor, week_papers):
    client.force_login(editor)
    client.post(url("decide", WEEK.label), {"paper": [week_papers[0].pk], "verdict": "reject"})
    html = client.get(url("audit")).content.decode()
    assert "decide:reject" in html and week_papers[0].arxiv_id in html and editor.email in html
    assert "decide:reject" not in client.get(url("audit"), {"action": "pick"}).content.decode()


@pytest.mark.parametrize("label", ["2026-48", "9999-W52", "0001-W01", "2026-W54"])
def test_a_bad_or_extreme_week_is_a_404(client, editor, label):
    client.force_login(editor)
    assert client.get(url("week", label)).status_code == 404


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999999", "1\x00"])
def test_a_forged_paper_id_is_refused_not_a_500(client, editor, week_papers, value):
    client.force_login(editor)
    response = client.post(url("decide", WEEK.label), {"paper": [value], "verdict": "reject"}, headers=HTMX)
    assert response.status_code == 200 and not Decision.objects.exists()
    assert client.post(url("pick_remove", 99999999999999999999)).status_code == 404
