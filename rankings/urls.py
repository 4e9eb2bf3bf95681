app_name = "rankings"
urlpatterns = []
