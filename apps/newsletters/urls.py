from django.urls import path

from apps.newsletters import views

app_name = "newsletters"
urlpatterns = [
    path("click/<str:token>/", views.click, name="click"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
