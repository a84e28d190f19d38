from django.contrib import admin

from apps.common.admin import ReadOnlyAdmin
from apps.embeddings.models import EmbeddingModel, PaperEmbedding
from apps.embeddings.selectors import coverage


@admin.register(EmbeddingModel)
class EmbeddingModelAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "embedded", "created_at", "activated_at")
    list_filter = ("status",)
    search_fields = ("name", "path")
    readonly_fields = ("name", "path", "dimensions", "status", "created_at", "activated_at")

    @admin.display(description="papers embedded")
    def embedded(self, model: EmbeddingModel) -> str:
        done, total = coverage(model.name)
        return f"{done} / {total}"

    def has_add_permission(self, request):
        return False


@admin.register(PaperEmbedding)
class PaperEmbeddingAdmin(ReadOnlyAdmin):
    list_display = ("paper", "model_name", "paper_version", "created_at")
    list_filter = ("model_name",)
    search_fields = ("paper__arxiv_id", "paper__title")
    list_select_related = ("paper",)
    exclude = ("vector",)
