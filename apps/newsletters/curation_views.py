"""The editors' newsletter pages under /curation/newsletters/: deliveries, a preview for any reader,
and the emails kept as files when there is no SMTP server. Same check as every curation page."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from apps.accounts.selectors import user_get_by_email
from apps.curation.permissions import editor_required
from apps.digests.selectors import digest_record, digest_weeks
from apps.newsletters import outbox, selectors
from apps.newsletters.compose import edition_for, newsletter_for
from apps.papers.weeks import Week

OUTBOX_BACKEND = "apps.newsletters.outbox.OutboxBackend"
NO_READER = "No reader has that email address."


@editor_required
def deliveries(request):
    return render(
        request,
        "newsletters/curation/deliveries.html",
        {
            "weeks": selectors.deliveries_by_week(),
            "keeps_files": settings.EMAIL_BACKEND == OUTBOX_BACKEND,
        },
    )


@editor_required
def preview(request):
    """The email as a reader would get it for a week (draft weeks: with the picks as they stand now)."""
    weeks = digest_weeks()[:26]
    try:
        week = Week.from_label(request.GET["week"]) if request.GET.get("week") else (weeks[0] if weeks else None)
    except ValueError as error:
        raise Http404(str(error)) from error
    if week is not None and week not in weeks:
        weeks.insert(0, week)
    email = request.GET.get("reader", "").strip()
    reader = user_get_by_email(email=email) if email else request.user
    context = {"weeks": weeks, "week": week, "reader_email": email or request.user.email, "error": None}
    if reader is None:
        context["error"] = NO_READER
    elif week is not None:
        digest = digest_record(week)
        draft = digest is None or not digest.is_published
        context |= {
            "draft": draft,
            "reader": reader,
            "newsletter": newsletter_for(edition=edition_for(week, draft=draft), user=reader, preview=True),
        }
    return render(request, "newsletters/curation/preview.html", context, status=404 if reader is None else 200)


@editor_required
def kept_list(request):
    return render(
        request,
        "newsletters/curation/kept_list.html",
        {
            "emails": outbox.kept_emails(),
            "keeps_files": settings.EMAIL_BACKEND == OUTBOX_BACKEND,
            "directory": outbox.outbox_dir(),
        },
    )


@editor_required
def kept_detail(request, name: str):
    email = outbox.kept_email(name)
    if email is None:
        raise Http404("No kept email by that name.")
    return render(request, "newsletters/curation/kept_detail.html", {"email": email})
