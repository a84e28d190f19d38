from django.urls import path

from apps.recommendations import views

app_name = "recommendations"
urlpatterns = [
    path("onboarding/", views.onboarding, name="onboarding"),
    path("interactions/<str:kind>/<path:arxiv_id>", views.interaction_toggle, name="toggle"),
]
