"""The links in the email: paper clicks and unsubscribing. The signed token is the credential."""

from django.contrib.auth import get_user_model
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from apps.newsletters import tokens
from apps.newsletters.services import newsletter_unsubscribe
from apps.papers.models import Paper
from apps.recommendations.models import Interaction
from apps.recommendations.services.interactions import interaction_record


def bad_link(request, error: tokens.BadToken):
    return render(request, "newsletters/bad_link.html", {"reason": str(error)}, status=400)


@require_GET
def click(request, token: str):
    """A paper link from the email: recorded as a view from the email, then on to the paper page."""
    try:
        click = tokens.click_from_token(token)
    except tokens.BadToken as error:
        return bad_link(request, error)
    paper = Paper.objects.filter(pk=click.paper_id).only("arxiv_id").first()
    if paper is None:  # gone from the catalogue since: the week's digest is the next best page
        return redirect("digests:week", label=click.week)
    reader = get_user_model().objects.filter(pk=click.user_id, is_active=True).first()
    if reader is not None:
        interaction_record(user=reader, paper=paper, kind=Interaction.Kind.VIEW, source=Interaction.Source.EMAIL)
    return redirect(reverse("paper-detail", args=[paper.arxiv_id]))


@csrf_exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" with no cookie or form token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET asks (link scanners follow links and must not unsubscribe anyone); POST unsubscribes."""
    try:
        reader = tokens.user_from_unsubscribe_token(token)
    except tokens.BadToken as error:
        return bad_link(request, error)
    if request.method == "GET":
        return render(request, "newsletters/unsubscribe.html", {"reader": reader, "token": token})
    newsletter_unsubscribe(user=reader)
    return render(request, "newsletters/unsubscribed.html", {"reader": reader})
