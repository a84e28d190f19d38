from django.contrib import admin

from apps.common.admin import ReadOnlyAdmin
from apps.curation.models import AuditEntry, Job


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "action", "week", "target")
    list_filter = ("action", "week")
    search_fields = ("target", "actor__email", "actor__username")
    list_select_related = ("actor",)


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "started_by", "task_id", "params")
    list_filter = ("kind",)
    search_fields = ("task_id", "started_by__email")
    list_select_related = ("started_by",)
