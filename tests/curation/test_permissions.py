"""Who may curate: every curation URL and action, for anonymous visitors, readers, editors and superusers."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, get_resolver, reverse

from apps.digests.models import Pin
from apps.recommendations.models import ModelVersion
from tests.curation.conftest import WEEK

pytestmark = pytest.mark.django_db


@pytest.fixture
def targets(week_papers, editor):
    pin = Pin.objects.create(week=WEEK.monday, paper=week_papers[0], note="n", created_by=editor)
    version = ModelVersion.objects.create(status=ModelVersion.Status.RETIRED, checkpoint="/nonexistent.pt")
    return {"label": WEEK.label, "pk": None, "pin": pin.pk, "version": version.pk}


def curation_requests(targets) -> list[tuple[str, str, dict]]:
    """(method, url, data) for every route under /curation/ — a new route without an entry here fails."""
    week, pin, version = targets["label"], targets["pin"], targets["version"]
    requests = [
        ("get", reverse("curation:home"), {}),
        ("get", reverse("curation:week", args=[week]), {}),
        ("post", reverse("curation:decide", args=[week]), {"paper": [], "verdict": "reject"}),
        ("post", reverse("curation:pick_add", args=[week]), {"arxiv_id": "", "note": ""}),
        ("post", reverse("curation:publish", args=[week]), {}),
        ("post", reverse("curation:unpublish", args=[week]), {}),
        ("get", reverse("curation:preview", args=[week]), {}),
        ("post", reverse("curation:pick_edit", args=[pin]), {"note": "edited"}),
        ("post", reverse("curation:pick_move", args=[pin]), {"direction": "1"}),
        ("post", reverse("curation:pick_remove", args=[pin]), {}),
        ("get", reverse("curation:audit"), {}),
        ("get", reverse("curation:operations"), {}),
        ("post", reverse("curation:ingest"), {}),
        ("post", reverse("curation:backfill"), {"since": "", "until": ""}),
        ("post", reverse("curation:embed"), {}),
        ("get", reverse("curation:coverage"), {}),
        ("post", reverse("curation:train"), {}),
        ("post", reverse("curation:rollback"), {}),
        ("post", reverse("curation:activate", args=[version]), {}),
        ("get", reverse("curation:loss_plot", args=[version]), {}),
        ("get", reverse("curation:metric_plot"), {}),
    ]
    return requests


def test_the_matrix_lists_every_curation_route(targets):
    resolver = get_resolver()
    curation = next(p for p in resolver.url_patterns if str(p.pattern) == "curation/")
    names = {p.name for p in curation.url_patterns if isinstance(p, URLPattern)}
    listed = {resolver.resolve(url).url_name for _, url, _ in curation_requests(targets)} | {"job"}
    assert names == listed


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_anonymous_visitors_are_sent_to_log_in(client, targets, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    login = resolve_url(settings.LOGIN_URL)
    for method, url, data in curation_requests(targets):
        response = getattr(client, method)(url, data, headers=headers)
        if htmx:  # the whole page goes to the login form, not a fragment of it
            assert response.status_code == 401 and response["HX-Redirect"].startswith(login), (method, url)
        else:
            assert response.status_code == 302 and response.url.startswith(f"{login}?next="), (method, url)
    assert Pin.objects.count() == 1


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_readers_and_staff_outside_editors_get_403_everywhere(client, targets, reader, htmx):
    reader.is_staff = True  # staff alone is not enough: the admin is not the panel
    reader.save()
    client.force_login(reader)
    headers = {"HX-Request": "true"} if htmx else {}
    for method, url, data in curation_requests(targets):
        assert getattr(client, method)(url, data, headers=headers).status_code == 403, (method, url)
    assert Pin.objects.get().note == "n"


@pytest.mark.parametrize("who", ["editor", "superuser"])
def test_editors_and_superusers_may_use_every_url(client, targets, who, request, django_capture_on_commit_callbacks):
    client.force_login(request.getfixturevalue(who))
    for method, url, data in curation_requests(targets):
        response = getattr(client, method)(url, data)
        assert response.status_code in (200, 302, 303), (method, url, response.status_code)
        if response.status_code == 302:
            assert not response.url.startswith(resolve_url(settings.LOGIN_URL)), (method, url)
