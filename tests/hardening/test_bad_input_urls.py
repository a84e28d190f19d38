"""The bad-input corpus against every URL pattern: in the path, the query string and the form body,
as a visitor, a reader and an editor. Whatever comes, a 4xx or a page; never a 5xx, and nothing stored lost.

The patterns come from the URL resolver and the parameter names from the code, so pages added later
are covered as they land.
"""

import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from apps.papers.models import Paper
from apps.papers.weeks import Week
from tests.bad_input import STRINGS
from tests.factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
# Parameter names the code reads from requests, and the fields its forms declare.
READ_PARAMETER = re.compile(r"""(?:GET|POST)(?:\.get|\.getlist)?[(\[]["'](\w+)["']""")
FORM_FIELD = re.compile(r"^\s+(\w+) = forms\.\w+", re.M)
AUTH_FIELDS = [
    "username",
    "email",
    "password",
    "password1",
    "password2",
    "old_password",
    "new_password1",
    "new_password2",
    "current_password",
    "next",
    "page",
    "source",
]


def routes(patterns=None, prefix="") -> list[tuple[str, list[str]]]:
    """Every pattern as (route with {name} holes, names), the admin's included."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        text = str(pattern.pattern)
        if hasattr(pattern.pattern, "_route"):
            text = ROUTE_PARAMETER.sub(lambda match: "{" + match["name"] + "}", text)
        else:
            text = REGEX_GROUP.sub(lambda match: "{" + match["name"] + "}", text)
            text = text.removeprefix("^").removesuffix("$").removesuffix(r"\Z").replace("\\", "")
        if isinstance(pattern, URLResolver):
            found += routes(pattern.url_patterns, prefix + text)
        elif isinstance(pattern, URLPattern):
            found.append((prefix + text, re.findall(r"{(\w+)}", prefix + text)))
    return found


def parameter_names() -> list[str]:
    names = set(AUTH_FIELDS)
    for path in (ROOT / "apps").rglob("*.py"):
        source = path.read_text()
        names |= set(READ_PARAMETER.findall(source)) | set(FORM_FIELD.findall(source))
    return sorted(names)


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    papers = PaperFactory.create_batch(3)
    reader = UserFactory()
    editor = UserFactory(is_staff=True, is_superuser=True)
    return {"papers": papers, "reader": reader, "editor": editor}


def clients(world) -> dict[str, Client]:
    visitor = Client(raise_request_exception=False)
    reader = Client(raise_request_exception=False)
    reader.force_login(world["reader"])
    editor = Client(raise_request_exception=False)
    editor.force_login(world["editor"])
    return {"visitor": visitor, "reader": reader, "editor": editor}


def snapshot() -> dict:
    return {
        "papers": sorted(Paper.objects.values_list("arxiv_id", "title")),
        "users": sorted(get_user_model().objects.values_list("email", "is_active")),
    }


ADMIN_SAMPLE = ["\x00", "\x01", "x" * 5000, "99999999999999999999999999", "-1", "ı"]


def _fill(route: str, value: str) -> str:
    return "/" + re.sub(r"{\w+}", lambda _: quote(value, safe=""), route)


def test_every_url_pattern_takes_the_corpus_in_its_path_without_a_5xx(world):
    """Each value once per pattern and method, from a visitor, a reader and an editor in turn."""
    before = snapshot()
    visitors = list(clients(world).items())
    failures = []
    for route, names in routes():
        if not names:
            continue
        # The admin's hundred-odd patterns are Django's own: a sample of the corpus, as an editor.
        admin = route.startswith("admin/")
        for turn, value in enumerate(ADMIN_SAMPLE if admin else STRINGS):
            who, client = visitors[-1] if admin else visitors[turn % len(visitors)]
            url = _fill(route, value)
            for method in (client.get, client.post):
                status = method(url).status_code
                if status >= 500:
                    failures.append(f"{method.__name__.upper()} {url[:120]!r} as {who}: {status}")
    assert not failures, "\n".join(failures[:40])
    assert snapshot() == before


def sample_url(route: str, world) -> str:
    """The route with plausible values, so the page itself answers and reads the corpus from the query."""
    valid = {
        "arxiv_id": world["papers"][0].arxiv_id,
        "label": Week.containing(world["papers"][0].announced).label,
        "kind": "like",
    }
    return "/" + re.sub(r"{(\w+)}", lambda match: quote(valid.get(match[1], "x"), safe="/"), route)


def test_every_url_pattern_takes_the_corpus_in_its_query_and_form_without_a_5xx(world):
    """Each value in every parameter the code reads, per pattern: GET, htmx GET and POST, by turns."""
    before = snapshot()
    names = parameter_names()
    visitors = list(clients(world).items())
    failures = []
    for route, _ in routes():
        url = sample_url(route, world)
        if "logout" in url or route.startswith("admin/"):
            continue  # logging out would sign the clients out, and reads nothing; the admin is Django's
        for turn, value in enumerate(STRINGS):
            who, client = visitors[turn % len(visitors)]
            data = dict.fromkeys(names, value)
            htmx = {"HX-Request": "true"} if turn % 2 else {}
            for method, status in (
                ("GET", client.get(f"{url}?{urlencode(data)}", headers=htmx).status_code),
                ("POST", client.post(url, data, headers=htmx).status_code),
            ):
                if status >= 500:
                    failures.append(f"{method} {url} ({value[:20]!r}) as {who}{' (htmx)' if htmx else ''}: {status}")
    assert not failures, "\n".join(failures[:40])
    assert snapshot() == before
