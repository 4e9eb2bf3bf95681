from . import views

app_name = "rankings"
urlpatterns = views.urlpatterns
