from django.urls import path

from apps.papers import views

app_name = "papers"
urlpatterns = [
    path("", views.paper_list, name="list"),
]
