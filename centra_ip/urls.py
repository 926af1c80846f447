from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from centra_ip import auth, dashboard, docs, health, metrics, views
from syncs.views import config as config_views

admin.site.login_form = auth.AdminLoginForm  # failed admin sign-ins are rate limited too

docs_patterns = (
    [
        path("", docs.index, name="index"),
        path("runbooks/<str:code>/", docs.runbook, name="runbook"),
        path("<slug:slug>/", docs.page, name="page"),
    ],
    "docs",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("exceptions/", include("exceptions.urls")),
    path("syncs/", include("syncs.urls")),
    path("feeds/", include("syncs.feed_urls")),
    path("returns/", include("returns.urls")),
    path("reconciliation/", include("reconciliation.urls")),
    path("configuration/", config_views.index, name="configuration"),
    path("docs/", include(docs_patterns)),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("checklists/", views.checklist_index, name="checklists"),
    path("checklists/<slug:team>/", views.checklist_page, name="checklist"),
    path("checklists/<slug:team>/tick/", views.checklist_tick_view, name="checklist_tick"),
    path("admin/", admin.site.urls),
]

handler403 = "centra_ip.views.permission_denied"
