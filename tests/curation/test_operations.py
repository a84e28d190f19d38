"""Operations: ingestion runs, coverage, model versions with plots, and jobs followed to their outcome."""

import datetime as dt
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.curation.models import AuditEntry, Job
from apps.curation.selectors.operations import DIED
from apps.papers.models import IngestRun, Paper
from apps.papers.services.runs import recorded_run
from apps.recommendations.models import ModelVersion
from apps.recommendations.services.training import model_version_serve, model_version_train, rollback_target

HTMX = {"HX-Request": "true"}


def url(name, *args):
    return reverse(f"curation:{name}", args=args)


@pytest.mark.django_db
def test_a_running_run_whose_process_died_shows_as_failed(client, editor):
    IngestRun.objects.create(source=IngestRun.Source.ARXIV_API, seen=12, created=3)
    client.force_login(editor)
    html = client.get(url("operations")).content.decode()
    assert DIED in html and "running" not in html.split("Why it failed")[1].split("</table>")[0]


@pytest.mark.django_db(transaction=True)
def test_a_running_run_whose_process_holds_the_lock_shows_as_running(client, editor):
    client.force_login(editor)
    with recorded_run(source=IngestRun.Source.ARXIV_API):  # what a live ingestion holds while it works
        html = client.get(url("operations")).content.decode()
    assert DIED not in html and 'class="badge running"' in html


@pytest.mark.django_db
def test_model_versions_show_metrics_with_baselines_and_plots_are_svg(client, editor):
    version = ModelVersion.objects.create(
        status=ModelVersion.Status.ACTIVE,
        metrics={"recall@20": 0.1234, "ndcg@20": 0.05, "recall@100": 0.3},
        baselines={"popularity": {"recall@20": 0.0456}},
        history=[{"epoch": 1, "loss": 3.2, "val_hit@20": 0.1}, {"epoch": 2, "loss": 2.9, "val_hit@20": 0.2}],
    )
    client.force_login(editor)
    html = client.get(url("operations")).content.decode()
    assert "0.1234" in html and "0.0456" in html and "popularity" in html
    for response in (client.get(url("metric_plot")), client.get(url("loss_plot", version.pk))):
        assert response["Content-Type"] == "image/svg+xml" and response.content.startswith(b"<?xml")
    assert b"recall@20" in client.get(url("metric_plot")).content


@pytest.mark.django_db
def test_a_bad_backfill_window_is_a_form_error_and_starts_nothing(client, editor):
    client.force_login(editor)
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    for since, until, error in [
        ("2026-05-02", "2026-05-01", "The window is empty"),
        ("2026-05-01", tomorrow, "in the future"),
        ("", "", "required"),
    ]:
        html = client.post(url("backfill"), {"since": since, "until": until}).content.decode()
        assert error in html
    assert not Job.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_rollback_without_an_earlier_version_says_so(client, editor):
    client.force_login(editor)
    response = client.post(url("rollback"), follow=True)
    assert "No earlier version to roll back to" in response.content.decode() and not Job.objects.exists()


def test_ingest_now_runs_in_the_worker_and_the_page_follows_it_to_its_outcome(
    celery_worker, arxiv_feed, recsys_entries, settings, client, editor
):
    settings.RETRIEVER_EMBED_AFTER_INGEST = False
    arxiv_feed.entries = recsys_entries
    client.force_login(editor)
    response = client.post(url("ingest"), headers=HTMX)
    job = Job.objects.get()
    assert 'hx-trigger="every 2s"' in response.content.decode()  # it polls while it runs
    assert AuditEntry.objects.get().action == "job:ingest"
    deadline = time.monotonic() + 60
    while 'hx-trigger="every 2s"' in (html := client.get(url("job", job.pk), headers=HTMX).content.decode()):
        assert time.monotonic() < deadline, html
        time.sleep(0.5)
    assert "done" in html and f"{len(recsys_entries)} seen" in html and "status succeeded" in html
    assert Paper.objects.count() == len(recsys_entries)


def test_backfill_passes_its_window_to_the_task(celery_worker, arxiv_feed, recsys_entries, settings, client, editor):
    settings.RETRIEVER_EMBED_AFTER_INGEST = False
    arxiv_feed.entries = recsys_entries
    client.force_login(editor)
    client.post(url("backfill"), {"since": "2026-01-01", "until": "2026-01-31"})
    job = Job.objects.get()
    deadline = time.monotonic() + 60
    while not IngestRun.objects.filter(status=IngestRun.Status.SUCCEEDED).exists():
        assert time.monotonic() < deadline
        time.sleep(0.5)
    run = IngestRun.objects.get()
    assert run.window_start == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert run.window_end == dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    assert job.params == {"since": "2026-01-01T00:00:00+00:00", "until": "2026-02-01T00:00:00+00:00"}


@pytest.mark.django_db
def test_a_version_that_cannot_serve_is_refused_before_any_job_starts(client, editor):
    active = ModelVersion.objects.create(status=ModelVersion.Status.ACTIVE, checkpoint="model.pt")
    failed = ModelVersion.objects.create(status=ModelVersion.Status.FAILED, error="out of memory")
    unsaved = ModelVersion.objects.create(status=ModelVersion.Status.READY)  # no checkpoint
    client.force_login(editor)
    html = client.post(url("activate", active.pk), follow=True).content.decode()
    assert f"Model #{active.pk} is already serving." in html
    html = client.post(url("activate", failed.pk), headers=HTMX).content.decode()
    assert 'role="alert"' in html and "<html" not in html and "only a trained version with a checkpoint" in html
    html = client.post(url("activate", unsaved.pk), headers=HTMX).content.decode()
    assert "only a trained version with a checkpoint" in html
    html = client.post(url("rollback"), headers=HTMX).content.decode()
    assert "No earlier version to roll back to" in html and "<html" not in html
    assert not Job.objects.exists() and not AuditEntry.objects.exists()
    assert client.post(url("activate", 999999)).status_code == 404


@pytest.fixture
def three_versions(catalogue):
    """Three trained versions, the newest serving."""
    versions = [model_version_train(overrides={"epochs": 2, "batch_size": 32}) for _ in range(3)]
    model_version_serve(version=versions[-1])
    for version in versions:
        version.refresh_from_db()
    return versions


def test_an_editor_activates_an_earlier_version_than_roll_back_reaches(celery_worker, three_versions, client, editor):
    *earlier, newest = three_versions
    assert newest.status == ModelVersion.Status.ACTIVE
    older = next(version for version in earlier if version != rollback_target())  # two steps back
    client.force_login(editor)
    html = client.get(url("operations")).content.decode()
    assert f'aria-label="Activate model #{older.pk}"' in html and f"Roll back to #{older.pk}" not in html

    response = client.post(url("activate", older.pk), headers=HTMX)
    job = Job.objects.get()
    assert 'hx-trigger="every 2s"' in response.content.decode() and job.params == {"version_id": older.pk}
    deadline = time.monotonic() + 120
    while 'hx-trigger="every 2s"' in (html := client.get(url("job", job.pk), headers=HTMX).content.decode()):
        assert time.monotonic() < deadline, html
        time.sleep(0.5)
    assert "done" in html
    assert ModelVersion.objects.get(status=ModelVersion.Status.ACTIVE) == older
    assert rollback_target() == newest  # roll back now undoes the editor's choice
    assert f"Roll back to #{newest.pk}" in client.get(url("operations")).content.decode()
    assert AuditEntry.objects.get().action == "job:serve"
