from django.contrib import admin

from apps.common.admin import ReadOnlyAdmin
from apps.recommendations.models import Interaction, ItemVector, ModelVersion, ReaderVector
from apps.recommendations.services.interactions import interactions_delete
from apps.recommendations.services.training import PRIMARY_METRIC


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    """Readers make interactions; the admin may only look, and delete (a reader's request)."""

    list_display = ("created_at", "user", "kind", "source", "paper")
    list_filter = ("kind", "source", "created_at")
    search_fields = ("user__email", "paper__arxiv_id", "paper__title")
    list_select_related = ("user", "paper")
    date_hierarchy = "created_at"
    raw_id_fields = ("user", "paper")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        interactions_delete(interactions=Interaction.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        interactions_delete(interactions=queryset)


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    """Made by training; served and rolled back from the curation panel's Operations page."""

    list_display = (
        "pk",
        "status",
        "primary_metric",
        "popularity_baseline",
        "interactions",
        "readers",
        "created_at",
        "activated_at",
    )
    list_filter = ("status", "created_at")
    search_fields = ("error",)
    date_hierarchy = "created_at"

    @admin.display(description=PRIMARY_METRIC)
    def primary_metric(self, version: ModelVersion) -> str:
        value = version.metrics.get(PRIMARY_METRIC)
        return "—" if value is None else f"{value:.4f}"

    @admin.display(description=f"popularity {PRIMARY_METRIC}")
    def popularity_baseline(self, version: ModelVersion) -> str:
        value = version.baselines.get("popularity", {}).get(PRIMARY_METRIC)
        return "—" if value is None else f"{value:.4f}"


@admin.register(ItemVector)
class ItemVectorAdmin(ReadOnlyAdmin):
    list_display = ("paper", "model_version")
    list_filter = ("model_version",)
    search_fields = ("paper__arxiv_id",)
    list_select_related = ("paper", "model_version")
    exclude = ("vector",)


@admin.register(ReaderVector)
class ReaderVectorAdmin(ReadOnlyAdmin):
    list_display = ("user", "model_version", "history_until", "updated_at")
    list_filter = ("model_version",)
    search_fields = ("user__email",)
    list_select_related = ("user", "model_version")
    exclude = ("vector",)
