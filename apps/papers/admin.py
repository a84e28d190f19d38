from django.contrib import admin

from apps.papers.models import Author, Authorship, IngestRun, Paper, PaperVersion


class PaperVersionInline(admin.TabularInline):
    model = PaperVersion
    extra = 0
    fields = ("version", "title", "updated", "seen_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    extra = 0
    fields = ("position", "author")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("arxiv_id", "version", "title", "primary_category", "announced", "withdrawn")
    list_filter = ("withdrawn", "primary_category", "announced")
    search_fields = ("arxiv_id", "title", "authors_text")
    readonly_fields = ("created_at", "modified_at")
    exclude = ("authors",)
    inlines = [AuthorshipInline, PaperVersionInline]
    date_hierarchy = "announced"


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "source",
        "status",
        "started_at",
        "duration",
        "seen",
        "created",
        "updated",
        "skipped",
        "errors",
        "pages_fetched",
    )
    list_filter = ("source", "status", "started_at")
    readonly_fields = [field.name for field in IngestRun._meta.fields]
    search_fields = ("error_message", "query")
    date_hierarchy = "started_at"

    @admin.display(description="duration")
    def duration(self, run: IngestRun) -> str:
        if run.finished_at is None:
            return "—"
        return f"{(run.finished_at - run.started_at).total_seconds():.1f} s"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
