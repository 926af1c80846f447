from django.urls import path

from reconciliation import views

app_name = "reconciliation"
urlpatterns = [
    path("", views.index, name="index"),
    path("day/<str:day>/", views.day, name="day"),
    path("day/<str:day>/sku/<path:sku>/", views.sku, name="sku"),
    path("discrepancies/<int:pk>/explain/", views.explain, name="explain"),
    path("month/<str:month>/close/", views.close, name="close"),
    path("month/<str:month>/reopen/", views.reopen, name="reopen"),
    path("configuration/", views.configuration, name="configuration"),
]
