from . import views

app_name = "batches"
urlpatterns = views.urlpatterns
