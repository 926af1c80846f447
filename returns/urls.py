from django.urls import path

from returns import views

app_name = "returns"
urlpatterns = [
    path("", views.index, name="index"),
    path("receive/", views.receive, name="receive"),
    path("qc/", views.qc, name="qc"),
    path("<int:centra_id>/", views.detail, name="detail"),
    path("<int:centra_id>/receive/", views.receive_submit, name="receive_submit"),
    path("lines/<int:line_id>/qc/", views.qc_submit, name="qc_submit"),
]
