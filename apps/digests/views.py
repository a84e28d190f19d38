from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from apps.accounts.feed_links import feed_reader, feed_token
from apps.common.cached_html import placeholder_token
from apps.digests import feeds, selectors
from apps.digests import for_you as for_you_selectors
from apps.digests.cards import with_fragments
from apps.digests.forms import ForYouForm
from apps.digests.page_cache import cached_page
from apps.embeddings.selectors import embedding_progress as embedding_progress_now
from apps.papers.bibtex import bibtex_file
from apps.papers.models import Paper
from apps.papers.weeks import Week
from apps.recommendations.selectors import cards_for, library_papers
from apps.search.queries import arxiv_id_in

NO_PAPERS_YET = "No papers yet: the digest appears once the first papers are in."


def digest_latest(request):
    week = selectors.latest_week()
    if week is None:
        return render(request, "digests/week.html", {"digest": None, "empty_message": NO_PAPERS_YET})
    return redirect("digests:week", label=week.label)


def digest_week(request, label: str):
    try:
        week = Week.from_label(label)
    except ValueError as error:
        raise Http404(str(error)) from error
    page = _page_number(request)
    if request.htmx and page > 1:  # "Show more": the next cards, appended in place
        template = "digests/week.html#more-cards"
    else:
        template = "digests/week.html#digest" if request.htmx else "digests/week.html"
    expanded = request.GET.get("view") == "expanded"  # abstracts inline and scores, arxiv-sanity style

    def page_html():
        digest = selectors.digest_for_reader(user=request.user, week=week, page=page)
        digest = with_fragments(digest, request=request, expanded=expanded)
        context = {"digest": digest, "feed_url": _feed_url(request), "expanded": expanded, **placeholder_token()}
        return render(request, template, context)

    return cached_page(request, week, page_html)


def embedding_progress(request):
    """The digest's progress line, polled by htmx while papers wait for their vectors."""
    return render(request, "digests/embedding_progress.html", {"progress": embedding_progress_now()})


def _page_number(request) -> int:
    page = request.GET.get("page", "1")
    return int(page) if page.isdigit() and 0 < int(page) < 1000 else 1


@login_required
def for_you(request):
    """The whole archive (or a window: since a date, a category) ranked for the reader, page by page.

    With ?like=<arXiv id>, the papers most like that one instead: htmx puts them under its card.
    """
    form = ForYouForm(request.GET or None)
    filters = form.filters()
    if like := request.GET.get("like"):
        paper = get_object_or_404(Paper.objects.visible(), arxiv_id=arxiv_id_in(like) or "")
        similar = for_you_selectors.more_like(user=request.user, paper=paper, filters=filters)
        template = "digests/for_you.html#more-like" if request.htmx else "digests/for_you.html"
        return render(request, template, {"form": form, "like": paper, "similar": similar})
    page = _page_number(request)
    ranked = for_you_selectors.for_you_page(user=request.user, filters=filters, page=page)
    if request.htmx and page > 1:  # "Show more": the next cards, appended in place
        template = "digests/for_you.html#more-cards"
    else:
        template = "digests/for_you.html#for-you" if request.htmx else "digests/for_you.html"
    return render(request, template, {"form": form, "for_you": ranked, "query": _window_query(request)})


def _window_query(request) -> str:
    """The window's part of the query string, for the "Show more" and "More like this" links."""
    window = request.GET.copy()
    for name in ("page", "like"):
        window.pop(name, None)
    return window.urlencode()


def digest_archive(request):
    return render(request, "digests/archive.html", {"weeks": selectors.digest_weeks()})


@login_required
def library(request):
    cards = cards_for(user=request.user, papers=list(library_papers(user=request.user)))
    return render(request, "digests/library.html", {"cards": cards})


@login_required
def library_bibtex(request):
    response = HttpResponse(
        bibtex_file(library_papers(user=request.user)), content_type="application/x-bibtex; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="retriever-library.bib"'
    return response


def digest_feed(request, token: str):
    """A reader's digest as Atom, for feed readers: the URL is the credential (apps.accounts.feed_links)."""
    user = feed_reader(token)
    if user is None:
        raise Http404("Unknown feed.")
    return feeds.digest_atom(request, user=user)


def _feed_url(request) -> str | None:
    if not request.user.is_authenticated:
        return None
    return request.build_absolute_uri(reverse("digests:feed", args=[feed_token(user=request.user)]))
