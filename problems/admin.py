from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import EnterpriseRequest, EscalationRules, Problem, ProblemEvent


class ProblemEventInline(admin.TabularInline):
    model = ProblemEvent
    fields = ["at", "action", "from_status", "to_status", "by", "note", "attachment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyMixin:
    """Problems and requests move only through their screens, which keep the timeline; the admin reads."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["project", "category", "department", "deadline", "status", "level"]
    list_filter = ["status", "level", "category"]
    search_fields = ["description", "project__name"]
    list_select_related = ["project", "department"]
    inlines = [ProblemEventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(EnterpriseRequest)
class EnterpriseRequestAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["subject", "region", "category", "state", "created_at"]
    list_filter = ["state", "category"]
    search_fields = ["subject", "text"]
    list_select_related = ["region"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(EscalationRules)
class EscalationRulesAdmin(SimpleHistoryAdmin):
    list_display = ["region", "to_leader_days", "to_county_days"]
    list_select_related = ["region"]
