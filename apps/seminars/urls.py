from django.urls import path

from apps.seminars import views

app_name = "seminars"
urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("mine/", views.mine, name="mine"),
    path("papers/", views.paper_choices, name="paper-choices"),
    path("present/<path:arxiv_id>/", views.present_paper, name="present"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/claim/", views.session_claim, name="claim"),
    path("sessions/<int:pk>/rsvp/", views.session_rsvp, name="rsvp"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session-edit"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session-cancel"),
    path("talks/<int:pk>/edit/", views.talk_edit, name="talk-edit"),
    path("talks/<int:pk>/withdraw/", views.talk_withdraw, name="talk-withdraw"),
    path("talks/<int:pk>/decide/", views.talk_decide, name="talk-decide"),
    path("speakers/<int:user_id>/", views.speaker, name="speaker"),
    path("calendar/<str:token>.ics", views.reader_calendar, name="reader-calendar"),
    path("clouds/<str:name>", views.cloud_image, name="cloud-image"),
    path("<slug:slug>/", views.series_detail, name="series"),
    path("<slug:slug>/follow/", views.series_follow, name="follow"),
    path("<slug:slug>/archive/", views.series_archive, name="archive"),
    path("<slug:slug>/manage/", views.series_manage, name="manage"),
    path("<slug:slug>/calendar.ics", views.series_calendar, name="series-calendar"),
]
