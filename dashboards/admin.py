from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import StandardLand


@admin.register(StandardLand)
class StandardLandAdmin(SimpleHistoryAdmin):
    list_display = ["zone", "investment_intensity", "output_intensity", "tax_intensity", "updated_at"]
    search_fields = ["zone__name", "zone__code"]
    raw_id_fields = ["zone", "updated_by"]
