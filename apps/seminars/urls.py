from django.urls import path

from apps.seminars.views import calendars, organizers, rsvp, schedule, talks

app_name = "seminars"
urlpatterns = [
    path("", schedule.schedule, name="schedule"),
    path("mine/", calendars.mine, name="mine"),
    path("papers/", talks.paper_choices, name="paper-choices"),
    path("present/<path:arxiv_id>/", talks.present_paper, name="present"),
    path("sessions/<int:pk>/", talks.session_detail, name="session"),
    path("sessions/<int:pk>/claim/", talks.session_claim, name="claim"),
    path("sessions/<int:pk>/rsvp/", rsvp.session_rsvp, name="rsvp"),
    path("sessions/<int:pk>/edit/", organizers.session_edit, name="session-edit"),
    path("sessions/<int:pk>/cancel/", organizers.session_cancel, name="session-cancel"),
    path("talks/<int:pk>/edit/", talks.talk_edit, name="talk-edit"),
    path("talks/<int:pk>/withdraw/", talks.talk_withdraw, name="talk-withdraw"),
    path("talks/<int:pk>/decide/", organizers.talk_decide, name="talk-decide"),
    path("speakers/<int:user_id>/", schedule.speaker, name="speaker"),
    path("calendar/<str:token>.ics", calendars.reader_calendar, name="reader-calendar"),
    path("clouds/<str:name>", schedule.cloud_image, name="cloud-image"),
    path("<slug:slug>/", schedule.series_detail, name="series"),
    path("<slug:slug>/follow/", schedule.series_follow, name="follow"),
    path("<slug:slug>/archive/", schedule.series_archive, name="archive"),
    path("<slug:slug>/manage/", organizers.series_manage, name="manage"),
    path("<slug:slug>/calendar.ics", calendars.series_calendar, name="series-calendar"),
]
