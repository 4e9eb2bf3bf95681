
from . import bulk_views, views

app_name = "reports"
urlpatterns = [
    # Filled in by the reports UI: period overview, report form, approval queue, colour lists.
    *views.urlpatterns,
    # Excel round trip for units that will not use the web.
    *bulk_views.urlpatterns,
]
