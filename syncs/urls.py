from django.urls import path

from syncs.views import runs, sandbox

app_name = "syncs"
urlpatterns = [
    path("", runs.index, name="index"),
    path("sandbox/", sandbox.control, name="sandbox"),
]
