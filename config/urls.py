from django.contrib import admin
from django.urls import include, path

from org import views as org_views

urlpatterns = [
    path("", org_views.home, name="home"),
    path("accounts/login/", org_views.login, name="login"),
    path("accounts/logout/", org_views.logout, name="logout"),
    path("accounts/password/", org_views.password_change, name="password_change"),
    path("accounts/password/done/", org_views.password_change_done, name="password_change_done"),
    path("notifications/", org_views.notifications, name="notifications"),
    path("notifications/read/", org_views.notifications_read, name="notifications_read"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("projects/", include("projects.urls")),
    path("reports/", include("reports.urls")),
    path("problems/", include("problems.urls")),
    path("approvals/", include("approvals.urls")),
    path("attraction/", include("attraction.urls")),
    path("rankings/", include("rankings.urls")),
    path("batches/", include("batches.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("bulletins/", include("bulletins.urls")),
    path("imports/", include("imports.urls")),
    path("api/", include("api.urls")),
    path("oc4ids/", include("oc4ids.urls")),
    path("admin/", admin.site.urls),
]
