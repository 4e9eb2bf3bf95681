from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import BatchEntry, BatchEvent


class BatchEntryInline(admin.TabularInline):
    model = BatchEntry
    fields = ["kind", "name", "owner_name", "location", "total_investment", "stage_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(BatchEvent)
class BatchEventAdmin(SimpleHistoryAdmin):
    list_display = ["name", "region", "held_on", "window_start", "window_end", "created_by"]
    list_filter = ["held_on"]
    search_fields = ["name", "region__name"]
    readonly_fields = ["region", "window_start", "window_end", "created_by", "frozen_at"]
    inlines = [BatchEntryInline]
