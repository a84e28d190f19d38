from django.core.paginator import Paginator
from django.shortcuts import render

from apps.papers import selectors

PAPERS_PER_PAGE = 25


def paper_list(request):
    page = Paginator(selectors.papers_by_announcement(), PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    template = "papers/list.html#paper-page" if request.htmx else "papers/list.html"
    return render(request, template, {"page": page})
