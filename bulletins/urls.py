from . import views

app_name = "bulletins"
urlpatterns = views.urlpatterns
