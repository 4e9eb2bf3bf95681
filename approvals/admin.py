from django.contrib import admin
from django.db.models import Count
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from lib import workdays

from .models import ApprovalTemplate, ApprovalTemplateItem, CalendarDay


class ApprovalTemplateItemInline(admin.TabularInline):
    model = ApprovalTemplateItem
    extra = 1
    fields = ["sort_order", "kind", "name", "department_name", "statutory_days", "promised_days"]


@admin.register(ApprovalTemplate)
class ApprovalTemplateAdmin(SimpleHistoryAdmin):
    list_display = ["name", "category", "item_count"]
    list_filter = ["category"]
    search_fields = ["name"]
    inlines = [ApprovalTemplateItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_total=Count("items"))

    @admin.display(description=_("事项数"), ordering="item_total")
    def item_count(self, obj) -> int:
        return obj.item_total


@admin.register(CalendarDay)
class CalendarDayAdmin(SimpleHistoryAdmin):
    """Holidays and make-up working days for years the calendar library does not cover yet (or corrections)."""

    list_display = ["date", "weekday", "is_workday", "note", "library_says"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["note"]

    @admin.display(description=_("星期"))
    def weekday(self, obj) -> str:
        return date_format(obj.date, "l")

    @admin.display(description=_("日历库"))
    def library_says(self, obj) -> str:
        library = workdays.library_is_workday(obj.date)
        if library is None:
            return _("未覆盖")
        return _("工作日") if library else _("休息日")
