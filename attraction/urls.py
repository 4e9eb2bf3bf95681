app_name = "attraction"
urlpatterns = []
