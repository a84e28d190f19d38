from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from apps.search.views import paper_detail

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="digests:latest", permanent=False)),
    path("papers/", include("apps.papers.urls")),
    # The paper page lives with search: its "similar papers" read the vectors, which apps.papers must not know.
    path("papers/<path:arxiv_id>/", paper_detail, name="paper-detail"),
    path("search/", include("apps.search.urls")),
    path("", include("apps.digests.urls")),
    path("", include("apps.recommendations.urls")),
    path("seminars/", include("apps.seminars.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("newsletters/", include("apps.newsletters.urls")),
    path("curation/newsletters/", include("apps.newsletters.curation_urls")),
    path("curation/", include("apps.curation.urls")),
    path("admin/", admin.site.urls),
]
