from django.urls import path

from apps.newsletters import curation_views as views

app_name = "newsletters_curation"
urlpatterns = [
    path("", views.deliveries, name="deliveries"),
    path("preview/", views.preview, name="preview"),
    path("emails/", views.kept_list, name="kept_list"),
    path("emails/<str:name>/", views.kept_detail, name="kept_detail"),
]
