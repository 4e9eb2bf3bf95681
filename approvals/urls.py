from . import views

app_name = "approvals"
urlpatterns = [*views.urlpatterns]
