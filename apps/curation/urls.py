from django.urls import path

from apps.curation.views import audit, operations, week

app_name = "curation"
urlpatterns = [
    path("", week.home, name="home"),
    path("weeks/<str:label>/", week.week_page, name="week"),
    path("weeks/<str:label>/decide/", week.decide, name="decide"),
    path("weeks/<str:label>/picks/", week.pick_add, name="pick_add"),
    path("weeks/<str:label>/publish/", week.publishing, {"publish": True}, name="publish"),
    path("weeks/<str:label>/unpublish/", week.publishing, {"publish": False}, name="unpublish"),
    path("weeks/<str:label>/preview/", week.preview, name="preview"),
    path("picks/<int:pk>/note/", week.pick_edit, name="pick_edit"),
    path("picks/<int:pk>/remove/", week.pick_remove, name="pick_remove"),
    path("picks/<int:pk>/move/", week.pick_move, name="pick_move"),
    path("audit/", audit.audit_log, name="audit"),
    path("operations/", operations.operations, name="operations"),
    path("operations/ingest/", operations.ingest_now, name="ingest"),
    path("operations/backfill/", operations.backfill, name="backfill"),
    path("operations/embed/", operations.embed_now, name="embed"),
    path("operations/coverage/", operations.coverage, name="coverage"),
    path("operations/train/", operations.train_now, name="train"),
    path("operations/rollback/", operations.rollback, name="rollback"),
    path("operations/models/<int:pk>/activate/", operations.activate, name="activate"),
    path("operations/models/<int:pk>/loss.svg", operations.loss_plot, name="loss_plot"),
    path("operations/models/metric.svg", operations.metric_plot, name="metric_plot"),
    path("operations/jobs/<int:pk>/", operations.job, name="job"),
]
