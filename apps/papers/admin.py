from django.contrib import admin

from apps.papers.models import Author, IngestRun, Paper, PaperVersion


class PaperVersionInline(admin.TabularInline):
    model = PaperVersion
    extra = 0
    fields = ("version", "title", "updated", "seen_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("arxiv_id", "version", "title", "primary_category", "announced", "withdrawn")
    list_filter = ("withdrawn", "primary_category", "announced")
    search_fields = ("arxiv_id", "title", "authors_text")
    readonly_fields = ("created_at", "modified_at")
    exclude = ("authors",)
    inlines = [PaperVersionInline]
    date_hierarchy = "announced"


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "source", "status", "started_at", "seen", "created", "updated", "skipped", "errors", "pages_fetched")
    list_filter = ("source", "status")
    readonly_fields = [field.name for field in IngestRun._meta.fields]
    search_fields = ("error_message",)

    def has_add_permission(self, request):
        return False
