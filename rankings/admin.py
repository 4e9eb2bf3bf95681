from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import DepartmentTarget, FaiActual, RankingEntry, RankingScheme, RankingSnapshot, RegionTarget


@admin.register(RankingScheme)
class RankingSchemeAdmin(SimpleHistoryAdmin):
    list_display = ["region", "normalisation"]
    search_fields = ["region__name", "region__code"]


@admin.register(RegionTarget)
class RegionTargetAdmin(SimpleHistoryAdmin):
    list_display = ["region", "year", "fai_target", "plan_target"]
    list_filter = ["year"]
    search_fields = ["region__name", "region__code"]


@admin.register(DepartmentTarget)
class DepartmentTargetAdmin(SimpleHistoryAdmin):
    list_display = ["department", "year", "fai_target", "plan_target"]
    list_filter = ["year"]
    search_fields = ["department__name"]


@admin.register(FaiActual)
class FaiActualAdmin(SimpleHistoryAdmin):
    list_display = ["region", "year", "month", "amount"]
    list_filter = ["year"]
    search_fields = ["region__name", "region__code"]


class RankingEntryInline(admin.TabularInline):
    model = RankingEntry
    fields = ["rank", "rank_change", "subject_name", "score"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RankingSnapshot)
class RankingSnapshotAdmin(admin.ModelAdmin):
    """Snapshots never change: the admin reads them (they are computed and published on the ranking page)."""

    list_display = ["region", "year", "kind", "period", "dimension", "version", "published_at"]
    list_filter = ["kind", "dimension", "year"]
    search_fields = ["region__name", "region__code"]
    inlines = [RankingEntryInline]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
