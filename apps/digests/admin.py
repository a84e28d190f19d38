from django.contrib import admin

from apps.digests.models import Decision, Digest, Pin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the curation panel's services (audited); the admin shows them, never edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Pin)
class PinAdmin(admin.ModelAdmin):
    list_display = ("week", "order", "paper", "note")
    list_editable = ("order",)
    list_filter = ("week",)
    search_fields = ("paper__arxiv_id", "paper__title", "note")
    autocomplete_fields = ("paper",)
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdmin):
    list_display = ("week_label", "status", "published_at", "published_by", "newsletters_started_at", "revision")
    list_filter = ("status",)
    date_hierarchy = "week"
    list_select_related = ("published_by",)


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("week", "paper", "verdict", "decided_by", "decided_at")
    list_filter = ("verdict", "week")
    search_fields = ("paper__arxiv_id", "paper__title")
    list_select_related = ("paper", "decided_by")
