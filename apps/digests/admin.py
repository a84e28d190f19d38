from django.contrib import admin

from apps.common.admin import ReadOnlyAdmin
from apps.digests.models import Decision, Digest, Pin


@admin.register(Pin)
class PinAdmin(ReadOnlyAdmin):
    """Picks are made in the curation panel (/curation/), which checks them, freezes them at publish and
    audits every change; here they are raw data."""

    list_display = ("week", "order", "paper", "note", "created_by", "created_at")
    list_filter = ("week",)
    search_fields = ("paper__arxiv_id", "paper__title", "note")
    list_select_related = ("paper", "created_by")


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
