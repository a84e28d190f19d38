"""A reader's rendered digest page, kept whole: a repeat load costs one query and a few cache reads.

The key names everything the page is made from that can change while it is kept: the reader's
generation (bumped by their every like, save, dismissal, view or arXiv open, by a new feed link and
by a change of their groups: so button states, the ranking, dismissals and an editor's nav are right
on the next load), the serving generation, the week's revision (editors' picks, notes, decisions,
publishing), the path (page, view, and the `next` the forms post back), whether htmx asked for a part,
the reader's time zone and whether they are staff or superuser (the nav). It is kept as long as the
trending list it shows (60 s). The page is rendered with a CSRF placeholder and each
response gets its own token (apps.common.cached_html); a request with a message to show (after a
form) is rendered afresh and not kept.
"""

import hashlib

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from apps.common.cached_html import filled
from apps.common.generations import CLOUDS, SERVING, generations, reader_scope
from apps.common.keys import DIGEST_PAGE_CACHE, cache_key
from apps.digests.selectors import TRENDING_SECONDS, week_revision
from apps.papers.weeks import Week

PAGE_SECONDS = TRENDING_SECONDS


def page_key(request, week: Week) -> str:
    user = request.user
    reader = user.pk if user.is_authenticated else 0
    serving, mine, clouds = generations(SERVING, reader_scope(reader), CLOUDS)
    variant = "|".join(
        [
            request.get_full_path(),
            str(bool(request.htmx)),
            timezone.get_current_timezone_name(),
            str(user.is_staff),
            str(user.is_superuser),
        ]
    )
    variant_hash = hashlib.blake2b(variant.encode(), digest_size=8).hexdigest()
    return cache_key(DIGEST_PAGE_CACHE, reader, week.label, week_revision(week), serving, mine, clouds, variant_hash)


def cached_page(request, week: Week, render) -> HttpResponse:
    """`render()` (a response rendered with the CSRF placeholder), or the copy kept under this request's key."""
    if len(messages.get_messages(request)):  # counted, not consumed: the page shows them
        response = render()
        response.content = filled(request, response.content.decode())
        return response
    key = page_key(request, week)
    html = cache.get(key)
    if html is None:
        response = render()
        if response.status_code != 200:
            return response
        html = response.content.decode()
        cache.set(key, html, PAGE_SECONDS)
    return HttpResponse(filled(request, html))
