import time

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from apps.papers.models import Paper
from apps.recommendations.models import Interaction
from apps.recommendations.selectors import cards_for
from apps.recommendations.services import interaction_record
from apps.search import queries, selectors
from apps.search.forms import LikeTextForm, SearchForm


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def search(request):
    form = SearchForm(request.GET or None)
    context = {"form": form, "like_form": LikeTextForm(), "outcome": None, "message": queries.EMPTY_QUERY}
    started = time.perf_counter()
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        query, mode = form.cleaned_data["q"], form.cleaned_data["mode"]
        outcome = selectors.search_papers(
            query=query,
            mode=mode,
            filters=form.filters(),
            page_number=request.GET.get("page"),
        )
        if outcome.exact:  # an arXiv id or URL is a lookup: go straight to the paper
            url = reverse("paper-detail", args=[outcome.exact.arxiv_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        context["outcome"] = outcome
        context["cards"] = cards_for(user=request.user, papers=outcome.page.object_list)
        context["missing_arxiv_id"] = queries.arxiv_id_in(query)
        if context["missing_arxiv_id"]:
            context["message"] = queries.NOT_IN_CATALOGUE.format(arxiv_id=context["missing_arxiv_id"])
        elif not outcome.total:
            context["message"] = queries.NO_RESULTS if mode == selectors.KEYWORD else queries.NO_GOOD_MATCH
        else:
            context["message"] = ""
    elif form.is_bound and form.errors:
        context["message"] = ""
    context["elapsed_ms"] = _elapsed_ms(started)
    template = "search/search.html#results" if request.htmx else "search/search.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def like_text(request):
    form = LikeTextForm(request.POST or None)
    context = {"like_form": form, "papers": None, "notices": []}
    started = time.perf_counter()
    if form.is_bound and form.is_valid():
        papers, context["notices"] = selectors.papers_like_text(
            text=form.cleaned_data["text"], filters=queries.SearchFilters()
        )
        context["papers"] = cards_for(user=request.user, papers=papers)
    context["elapsed_ms"] = _elapsed_ms(started)
    template = "search/like.html#like-results" if request.htmx else "search/like.html"
    return render(request, template, context)


def paper_detail(request, arxiv_id: str):
    paper = get_object_or_404(Paper, arxiv_id=queries.arxiv_id_in(arxiv_id) or arxiv_id)
    similar = selectors.similar_papers(paper=paper)
    similar_cards = None if similar is None else cards_for(user=request.user, papers=similar)
    if request.user.is_authenticated:
        interaction_record(
            user=request.user, paper=paper, kind=Interaction.Kind.VIEW, source=Interaction.Source.PAPER_PAGE
        )
    return render(
        request,
        "papers/detail.html",
        {
            "paper": paper,
            "similar": similar_cards,
            "like_form": LikeTextForm(),
            "not_embedded": queries.NOT_EMBEDDED_YET,
        },
    )
