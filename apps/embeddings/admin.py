from django.contrib import admin

from apps.embeddings.models import EmbeddingModel
from apps.embeddings.selectors import coverage


@admin.register(EmbeddingModel)
class EmbeddingModelAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "embedded", "created_at", "activated_at")
    readonly_fields = ("name", "path", "dimensions", "status", "created_at", "activated_at")

    @admin.display(description="papers embedded")
    def embedded(self, model: EmbeddingModel) -> str:
        done, total = coverage(model.name)
        return f"{done} / {total}"

    def has_add_permission(self, request):
        return False
