import logging

from django import template
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

from apps.common.keys import WORD_CLOUD_QUEUED_CACHE, cache_key
from apps.papers.weeks import Week
from apps.seminars import selectors
from apps.seminars.services.clouds import week_cloud_key

logger = logging.getLogger(__name__)
register = template.Library()
TIME_FORMAT = "D j M Y, H:i"  # static/js/local_time.js writes the same, in the browser's zone


def _clock(moment, zone: str) -> str:
    """'Thu 15 Oct 2026, 18:00 Europe/Lisbon': a wall-clock time with its zone named."""
    return f"{date_format(moment, TIME_FORMAT)} {zone.replace('_', ' ')}"


@register.simple_tag(takes_context=True)
def session_time(context, session):
    """The start, its zone named, and the series' clock on hover.

    A signed-in reader sees it in their profile's zone (activated by the middleware). A visitor has none:
    the server writes the series' own clock, and static/js/local_time.js rewrites every
    `data-local-time` into the browser's zone.
    """
    series_local = timezone.localtime(session.start, session.series.zone)
    user = context.get("user")
    if user is not None and user.is_authenticated:
        html = '<time datetime="{}" title="{} ({})">{}</time>'
        shown = _clock(timezone.localtime(session.start), timezone.get_current_timezone_name())
    else:
        html = '<time datetime="{}" title="{} ({})" data-local-time>{}</time>'
        shown = _clock(series_local, session.series.time_zone)
    return format_html(
        html,
        session.start.isoformat(),
        date_format(series_local, "D j M Y, H:i T"),
        session.series.time_zone,
        shown,
    )


@register.inclusion_tag("seminars/_word_cloud.html")
def word_cloud(key: str, caption: str = ""):
    """A cached cloud with its top terms as alt text; a missing one is queued (once a minute at most)."""
    cloud = selectors.word_cloud(key)
    if cloud is None and cache.add(cache_key(WORD_CLOUD_QUEUED_CACHE, key), 1, timeout=60):
        from tasks.seminars import rebuild_word_cloud_task

        try:
            rebuild_word_cloud_task.delay(key)
        except Exception:  # whatever the broker's transport raises: the hourly refresh draws it, the page stays up
            logger.warning("Could not queue the word cloud %s", key, exc_info=True)
    return {"cloud": cloud, "caption": caption}


@register.inclusion_tag("seminars/_word_cloud.html")
def week_word_cloud(week: Week):
    """The cloud of a digest week's titles, for the digest page."""
    return word_cloud(week_cloud_key(week), caption=f"The week's titles, {week.label}")


@register.inclusion_tag("seminars/_present_link.html", takes_context=True)
def present_link(context, paper, source: str):
    """'I'll present this': a link to pick a free session for the paper."""
    return {"paper": paper, "source": source, "user": context.get("user")}


@register.simple_tag
def email_word_cloud(week: Week) -> dict | None:
    """The digest week's cloud for the newsletter: an absolute image URL (emails have no host to resolve against)."""
    cloud = selectors.word_cloud(week_cloud_key(week))
    if cloud is None:
        return None
    return {**cloud, "src": settings.SITE_URL.rstrip("/") + reverse("seminars:cloud-image", args=[cloud["image"]])}
