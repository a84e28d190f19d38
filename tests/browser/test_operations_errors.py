"""Long error text on the operations page wraps in its cell, a long one shortened with the whole of it
a click away: at a desk's width and a phone's."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone

from apps.accounts.services import EDITORS_GROUP
from apps.papers.models import IngestRun
from apps.recommendations.models import ModelVersion
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
URL = "http://export.arxiv.org/api/query?search_query=" + "cat:cs.IR+OR+" * 30 + "&start=0&max_results=100"
TRACEBACK = (
    "Traceback (most recent call last):\n"
    + "".join(
        f'  File "/srv/retriever/recsys/train.py", line {100 + i}, in step\n    loss = sampled_softmax(q, k)\n'
        for i in range(40)
    )
    + "RuntimeError: CUDA out of memory. Tried to allocate 20.00 GiB"
)


@pytest.fixture
def editor(settings):
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    editor = UserFactory(email="editor@example.org", is_staff=True)
    editor.groups.add(Group.objects.get_or_create(name=EDITORS_GROUP)[0])
    now = timezone.now()
    IngestRun.objects.create(
        source=IngestRun.Source.ARXIV_API,
        status=IngestRun.Status.FAILED,
        error_message=f"arXiv did not answer {URL}: HTTPSConnectionPool read timed out",
        finished_at=now,
    )
    ModelVersion.objects.create(status=ModelVersion.Status.FAILED, error=TRACEBACK, finished_at=now)
    return editor


@pytest.mark.parametrize("width", [1280, 390])
def test_long_errors_wrap_in_their_cells_and_the_whole_text_is_a_click_away(page, editor, width):
    log_in(page, editor.email)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/curation/operations/")
    for table, full in (("table.runs", URL), ("table.versions", TRACEBACK.splitlines()[-1])):
        cell = page.locator(f"{table} .error-text").first
        box = cell.bounding_box()
        # Wrapped: no wider than the screen, nothing spilling out of it, and a dozen lines at most.
        assert box["width"] <= min(width, 480), (table, box)
        assert cell.evaluate("e => e.scrollWidth <= e.clientWidth"), table
        assert box["height"] <= 12 * 20, (table, box)
        assert full not in cell.inner_text()  # shortened

        details = page.locator(f"{table} details.error-full").first
        details.get_by_text("Whole error").click()
        whole = details.locator("pre")
        assert whole.is_visible() and full in whole.inner_text()
        assert whole.evaluate("e => e.scrollWidth <= e.clientWidth"), table  # the whole text wraps too
        assert whole.bounding_box()["width"] <= width


def test_a_short_error_is_shown_whole_without_a_disclosure(page, editor):
    IngestRun.objects.update(error_message="arXiv answered 503")
    ModelVersion.objects.update(error="Stopped.")
    log_in(page, editor.email)
    page.goto("/curation/operations/")
    assert page.locator("table.runs .error-text").first.inner_text().strip() == "arXiv answered 503"
    assert page.locator("details.error-full").count() == 0
