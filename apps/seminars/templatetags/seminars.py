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
TIME_FORMAT = "D j M Y, H:i T"


@register.simple_tag
def session_time(session):
    """The start in the reader's zone (their profile's, via the middleware); the series' zone on hover."""
    reader_local = timezone.localtime(session.start)
    series_local = timezone.localtime(session.start, session.series.zone)
    return format_html(
        '<time datetime="{}" title="{} ({})">{}</time>',
        session.start.isoformat(),
        date_format(series_local, TIME_FORMAT),
        session.series.time_zone,
        date_format(reader_local, TIME_FORMAT),
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
