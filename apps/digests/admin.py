from django.contrib import admin

from apps.digests.models import Pin


@admin.register(Pin)
class PinAdmin(admin.ModelAdmin):
    list_display = ("week", "order", "paper", "note")
    list_editable = ("order",)
    list_filter = ("week",)
    autocomplete_fields = ("paper",)
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)
