from django.contrib import admin

from .models import ImportTemplate, LedgerImport


@admin.register(LedgerImport)
class LedgerImportAdmin(admin.ModelAdmin):
    """The import history, read only: imports are made, saved and undone through their screens."""

    list_display = ["file_name", "region", "by", "created_at", "status", "create_count", "update_count", "error_count"]
    list_filter = ["status"]
    list_select_related = ["region", "by"]
    exclude = ["columns", "errors", "preview", "sheet_names"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportTemplate)
class ImportTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "by", "updated_at"]
    list_select_related = ["region", "by"]
    search_fields = ["name"]
    readonly_fields = ["columns", "by", "updated_at"]
