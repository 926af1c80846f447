from django.urls import path

from syncs import views

app_name = "syncs"
urlpatterns = [
    path("", views.index, name="index"),
]
