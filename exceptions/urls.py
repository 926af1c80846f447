from django.urls import path, re_path

from exceptions import views

app_name = "exceptions"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.csv", views.export, name="export"),
    path("stats/", views.stats, name="stats"),
    path("types/", views.types, name="types"),
    path("bulk/", views.bulk, name="bulk"),
    path("<int:pk>/", views.ticket, name="ticket"),
    re_path(
        r"^(?P<pk>[0-9]+)/(?P<action>acknowledge|assign|comment|snooze|resolve|retry)/$",
        views.ticket_action,
        name="ticket_action",
    ),
]
