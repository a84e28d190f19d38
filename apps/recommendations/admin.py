from django.contrib import admin

from apps.recommendations.models import Interaction, ModelVersion


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "source", "paper")
    list_filter = ("kind", "source")
    raw_id_fields = ("user", "paper")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("pk", "status", "created_at", "interactions", "readers", "activated_at")
    list_filter = ("status",)
    readonly_fields = [field.name for field in ModelVersion._meta.fields]
