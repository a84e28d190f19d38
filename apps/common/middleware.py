"""Paths no page can use, refused before any view sees them."""

import re

from django.http import Http404

# No route of ours has a control character, and PostgreSQL refuses NUL in any text it is given.
UNROUTABLE = re.compile(r"[\x00-\x1f\x7f]")
NO_SUCH_PAGE = "No such page."


class RefuseUnroutablePathMiddleware:
    """A control character in the path is a 404, for every page, today's and tomorrow's: handed to a
    database lookup (`/papers/%00/`), a NUL would otherwise be a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if UNROUTABLE.search(request.path_info):
            raise Http404(NO_SUCH_PAGE)
        return self.get_response(request)
