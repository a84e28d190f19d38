from django.contrib import admin

from apps.curation.models import AuditEntry
from apps.digests.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "action", "week", "target")
    list_filter = ("action", "week")
    search_fields = ("target", "actor__email", "actor__username")
    list_select_related = ("actor",)
