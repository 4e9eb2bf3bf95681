from . import inbox_views, request_views, views

app_name = "problems"
urlpatterns = [*views.urlpatterns, *inbox_views.urlpatterns, *request_views.urlpatterns]
