from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.import_index, name="index"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/mapping/", views.import_mapping, name="mapping"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/apply/", views.import_apply, name="apply"),
    path("<int:pk>/undo/", views.import_undo, name="undo"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
]
