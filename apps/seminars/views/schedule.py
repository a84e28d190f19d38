"""The public seminar pages: the schedule, a series, its archive and word clouds, a speaker's talks."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.seminars import selectors
from apps.seminars.models import SeminarSeries
from apps.seminars.services.clouds import IMAGE_NAME, clouds_dir, series_cloud_key


def schedule(request):
    return render(
        request,
        "seminars/schedule.html",
        {
            "all_series": SeminarSeries.objects.all(),
            "sessions": selectors.upcoming_sessions(),
        },
    )


def series_detail(request, slug: str):
    series = get_object_or_404(SeminarSeries, slug=slug)
    following = request.user.is_authenticated and series.followers.filter(pk=request.user.pk).exists()
    return render(
        request,
        "seminars/series.html",
        {
            "series": series,
            "sessions": selectors.upcoming_sessions(series=series),
            "following": following,
            "is_organizer": series.is_organizer(request.user),
        },
    )


@login_required
@require_POST
def series_follow(request, slug: str):
    series = get_object_or_404(SeminarSeries, slug=slug)
    if request.POST.get("follow") == "1":
        series.followers.add(request.user)
    else:
        series.followers.remove(request.user)
    following = series.followers.filter(pk=request.user.pk).exists()
    if request.htmx:
        return render(request, "seminars/series.html#follow", {"series": series, "following": following})
    return redirect("seminars:series", slug=slug)


def series_archive(request, slug: str):
    series = get_object_or_404(SeminarSeries, slug=slug)
    years = selectors.archive(series=series)
    return render(
        request,
        "seminars/archive.html",
        {
            "series": series,
            "years": years,
            "total": sum(len(talks) for _, talks in years),
            "cloud_key": series_cloud_key(series),
        },
    )


def speaker(request, user_id: int):
    person = get_object_or_404(get_user_model(), pk=user_id)
    talks = selectors.speaker_talks(speaker=person)
    if not talks:
        raise Http404("No talks by this reader.")
    return render(request, "seminars/speaker.html", {"person": person, "talks": talks, "name": talks[0].speaker_name})


def cloud_image(request, name: str):
    """A cached word-cloud image; its name changes with its content, so it may be cached for a year."""
    if not IMAGE_NAME.match(name):
        raise Http404("No such image.")
    path = clouds_dir() / name
    if not path.is_file():
        raise Http404("No such image.")
    response = FileResponse(open(path, "rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
