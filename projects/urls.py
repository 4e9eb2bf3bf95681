from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("export.<str:fmt>", views.project_export, name="export"),
    path("new/", views.project_create, name="create"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/stage/", views.project_stage, name="stage"),
    path("<int:pk>/archive/", views.project_archive, name="archive"),
    path("<int:pk>/reverse-schedule/", views.project_reverse_schedule, name="reverse_schedule"),
    # Change control: the approved plan and requests to move its dates.
    path("<int:pk>/approve-plan/", views.project_approve_plan, name="approve_plan"),
    path("<int:pk>/change-requests/new/", views.change_request_create, name="change_request"),
    path("change-requests/", views.change_request_list, name="change_requests"),
    path("change-requests/<int:pk>/approve/", views.change_request_approve, name="change_approve"),
    path("change-requests/<int:pk>/reject/", views.change_request_reject, name="change_reject"),
    # Suspensions and their quarterly confirmation.
    path("suspensions/", views.suspension_list, name="suspensions"),
    path("<int:pk>/confirm-suspension/", views.suspension_confirm, name="suspension_confirm"),
]
