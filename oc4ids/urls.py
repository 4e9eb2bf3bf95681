from django.urls import path

from . import views

app_name = "oc4ids"
urlpatterns = [
    path("export/", views.export_page, name="export"),
    path("export/<str:code>/package.json", views.download, name="download"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_review, name="review"),
    path("import/<int:pk>/apply/", views.import_apply, name="apply"),
    path("import/<int:pk>/discard/", views.import_discard, name="discard"),
]
