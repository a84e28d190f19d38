from django.urls import path

from apps.recommendations import views

app_name = "recommendations"
urlpatterns = [
    path("onboarding/", views.onboarding, name="onboarding"),
    path("open/<path:arxiv_id>", views.open_on_arxiv, name="open"),
    path("interactions/<str:kind>/<path:arxiv_id>", views.interaction_toggle, name="toggle"),
]
