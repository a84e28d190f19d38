from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.papers.models import Paper
from apps.recommendations import services
from apps.recommendations.models import Interaction
from apps.recommendations.onboarding import (
    MIN_RATINGS,
    TOO_FEW_RATINGS,
    TOPICS,
    onboarding_sample,
    rated_count,
    topics_from,
)
from apps.recommendations.selectors import cards_for, reader_states

SOURCES = set(Interaction.Source.values)


@require_POST
@login_required
def interaction_toggle(request, kind: str, arxiv_id: str):
    """Like/save/dismiss a paper: htmx swaps the buttons; without JS, back to where the reader was."""
    if kind not in Interaction.STATES:
        raise Http404("No such action.")
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    source = request.POST.get("source")
    services.interaction_toggle(
        user=request.user,
        paper=paper,
        kind=kind,
        source=source if source in SOURCES else Interaction.Source.PAPER_PAGE,
    )
    if request.htmx:
        states = reader_states(user=request.user, paper_ids=[paper.id])
        return render(
            request,
            "recommendations/buttons.html",
            {
                "paper": paper,
                "states": states[paper.id],
                "source": source,
                "swapped": True,
                "rated": rated_count(user=request.user) if source == Interaction.Source.ONBOARDING else None,
            },
        )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    return HttpResponseRedirect(next_url)


def open_on_arxiv(request, arxiv_id: str):
    """Follow a paper to arXiv, recording the click for a signed-in reader (a strong signal of interest)."""
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    if request.user.is_authenticated:
        source = request.GET.get("source")
        services.interaction_record(
            user=request.user,
            paper=paper,
            kind=Interaction.Kind.OPEN_ARXIV,
            source=source if source in SOURCES else Interaction.Source.PAPER_PAGE,
        )
    return HttpResponseRedirect(paper.abs_url)


@login_required
def onboarding(request):
    """Step 1 picks topics (GET form); step 2 rates a diverse sample; done once MIN_RATINGS are in."""
    topics = topics_from(request.GET.getlist("topics"))
    if request.method == "POST":  # "Finish"
        if rated_count(user=request.user) >= MIN_RATINGS:
            return redirect("digests:latest")
        messages.error(request, TOO_FEW_RATINGS)
    context = {"topics": TOPICS, "chosen": topics, "min_ratings": MIN_RATINGS, "rated": rated_count(user=request.user)}
    if "step" in request.GET or topics:
        context["cards"] = cards_for(user=request.user, papers=onboarding_sample(topics=topics))
    return render(request, "recommendations/onboarding.html", context)
