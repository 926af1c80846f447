from django.urls import path

from syncs.views import runs

app_name = "syncs"
urlpatterns = [
    path("", runs.index, name="index"),
]
