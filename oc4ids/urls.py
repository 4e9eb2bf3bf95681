app_name = "oc4ids"
urlpatterns = []
