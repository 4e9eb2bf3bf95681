from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("", views.index, name="index"),
    path("region/<int:pk>/", views.region_dashboard, name="region"),
    path("screen/", views.screen, name="screen"),
    path("screen/<int:pk>/", views.region_screen, name="screen_region"),
    path("boundaries/<int:pk>.geojson", views.region_boundaries, name="boundaries"),
    path("points/<int:pk>.json", views.region_points, name="points"),
    path("zones/", views.zone_list, name="zones"),
    path("zones/<int:pk>/", views.zone_detail, name="zone"),
    path("zones/<int:pk>/standard/", views.zone_standard, name="zone_standard"),
]
