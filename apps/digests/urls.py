from django.urls import path

from apps.digests import views

app_name = "digests"
urlpatterns = [
    path("digest/", views.digest_latest, name="latest"),
    path("digest/archive/", views.digest_archive, name="archive"),
    path("digest/progress/", views.embedding_progress, name="embedding_progress"),
    path("digest/<week:label>/", views.digest_week, name="week"),
    path("for-you/", views.for_you, name="for_you"),
    path("library/", views.library, name="library"),
    path("library/retriever-library.bib", views.library_bibtex, name="library_bibtex"),
    path("feeds/<str:token>/digest.atom", views.digest_feed, name="feed"),
]
