"""Admin building blocks shared by the apps (this app registers no models)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only the code writes (runs, versions, vectors, editors' decisions through the audited
    panel): the admin lists and shows them, never adds, edits or deletes them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
