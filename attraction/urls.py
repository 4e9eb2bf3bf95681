from . import agreement_views, chain_views, enterprise_views, views

app_name = "attraction"
urlpatterns = [
    *views.urlpatterns,
    *enterprise_views.urlpatterns,
    *chain_views.urlpatterns,
    *agreement_views.urlpatterns,
]
