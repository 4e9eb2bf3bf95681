from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ChainTag, Project


@admin.register(ChainTag)
class ChainTagAdmin(SimpleHistoryAdmin):
    list_display = ["name", "region"]
    search_fields = ["name"]
    list_select_related = ["region"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    """Read-mostly: projects are edited on the ledger pages, and never hard-deleted."""

    list_display = ["name", "national_code", "region", "stage", "total_investment"]
    list_filter = ["stage", "level", "category"]
    search_fields = ["name", "national_code", "owner_name"]
    list_select_related = ["region"]

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
