"""Operations: ingestion runs, embedding coverage, model versions, and the long jobs started here."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.curation.forms import BackfillForm
from apps.curation.models import Job
from apps.curation.permissions import editor_required
from apps.curation.plots import metric_over_versions, training_loss
from apps.curation.selectors import operations as ops
from apps.curation.services import operations as jobs
from apps.recommendations.models import ModelVersion
from apps.recommendations.services.training import PRIMARY_METRIC, rollback_target, stopped_versions_fail


def _page(request, *, backfill_form=None, status=200):
    versions = ops.model_versions()
    if any(version.status == ModelVersion.Status.TRAINING for version in versions) and stopped_versions_fail():
        versions = ops.model_versions()  # a stopped worker's version, failed now rather than at the next run
    context = {
        "runs": ops.ingest_runs(),
        "coverage": ops.embedding_coverage(),
        "versions": versions,
        "baselines": ops.baseline_methods(versions),
        "metrics": ops.METRICS,
        "primary_metric": PRIMARY_METRIC,
        "rollback_to": rollback_target(),
        "jobs": ops.recent_jobs(),
        "backfill_form": backfill_form or BackfillForm(),
    }
    return render(request, "curation/operations.html", context, status=status)


@require_GET
@editor_required
def operations(request):
    return _page(request)


def _started(request, job: Job):
    """htmx: the job's live progress row, added to the list; plain POST: back to the page, which lists it."""
    if request.htmx:
        return render(request, "curation/operations.html#job", {"state": ops.job_state(job)})
    messages.success(request, f"Started: {job.get_kind_display()}. Its progress shows below.")
    return redirect("curation:operations")


@require_POST
@editor_required
def ingest_now(request):
    return _started(request, jobs.ingest_now(by=request.user))


@require_POST
@editor_required
def backfill(request):
    form = BackfillForm(request.POST)
    if not form.is_valid():
        return _page(request, backfill_form=form)
    since, until = form.window()
    return _started(request, jobs.backfill(since=since, until=until, by=request.user))


@require_POST
@editor_required
def embed_now(request):
    return _started(request, jobs.embed_now(by=request.user))


@require_POST
@editor_required
def train_now(request):
    return _started(request, jobs.train_now(by=request.user))


def _refused(request, reason: str):
    """A job that cannot start: htmx gets a row where its progress would have shown, a plain POST a message."""
    if request.htmx:
        return render(request, "curation/operations.html#refused", {"reason": reason})
    messages.error(request, reason)
    return redirect("curation:operations")


@require_POST
@editor_required
def activate(request, pk: int):
    try:
        job = jobs.version_activate(version=get_object_or_404(ModelVersion, pk=pk), by=request.user)
    except ValueError as error:
        return _refused(request, str(error))
    return _started(request, job)


@require_POST
@editor_required
def rollback(request):
    try:
        job = jobs.rollback(by=request.user)
    except ValueError as error:
        return _refused(request, str(error))
    return _started(request, job)


@require_GET
@editor_required
def job(request, pk: int):
    """One job's state and progress; polled by htmx every two seconds until it finishes."""
    state = ops.job_state(get_object_or_404(Job, pk=pk))
    template = "curation/operations.html#job" if request.htmx else "curation/job.html"
    return render(request, template, {"state": state})


@require_GET
@editor_required
def coverage(request):
    return render(request, "curation/operations.html#coverage", {"coverage": ops.embedding_coverage()})


def _svg(content: str) -> HttpResponse:
    response = HttpResponse(content, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
@editor_required
def metric_plot(request):
    versions = ops.model_versions()
    return _svg(metric_over_versions(versions, metric=PRIMARY_METRIC, baselines=ops.baseline_methods(versions)))


@require_GET
@editor_required
def loss_plot(request, pk: int):
    return _svg(training_loss(get_object_or_404(ModelVersion, pk=pk)))
