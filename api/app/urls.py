from django.contrib import admin
from django.urls import include, path, re_path

from core import metrics
from core import views as core_views
from core.exceptions import json_not_found
from unleash import views as unleash_views
from users import google_admin

urlpatterns = [
    # The realtime stream's paths, first: the stream process serves them; here, only a pointer to it.
    path("", include("realtime.urls")),
    # ``v`` and digits only, so later unversioned prefixes (/api/client/) stay free;
    # DRF's URLPathVersioning answers 404 for versions outside ALLOWED_VERSIONS.
    re_path(r"^api/(?P<version>v[0-9]+)/", include("unleash.admin_urls")),
    re_path(r"^api/(?P<version>v[0-9]+)/", include("api.urls")),
    # Other flag protocols over the same flags: Unleash SDKs and OpenFeature's OFREP.
    path("api/client/", include("unleash.urls")),
    # Unleash's Frontend API, without a trailing slash as its SDKs call it.
    path("api/frontend", unleash_views.FrontendFeaturesView.as_view(), name="unleash-frontend"),
    path("api/frontend/", include("unleash.frontend_urls")),
    path("edge/", include("unleash.edge_urls")),
    path("ofrep/v1/", include("ofrep.urls")),
    # Before the admin's own login: ENABLE_ADMIN_ACCESS_USER_PASS=false refuses password login.
    path("admin/login/", google_admin.admin_login),
    # Google sign-in to the admin (OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET).
    path("admin/oauth/google/login/", google_admin.google_login, name="admin-google-login"),
    path("admin/oauth/google/callback/", google_admin.google_callback, name="admin-google-callback"),
    path("admin/", admin.site.urls),
    path("health/liveness/", core_views.liveness, name="health-liveness"),
    path("health/readiness/", core_views.readiness, name="health-readiness"),
    path("health", core_views.readiness),
    path("version/", core_views.version_info, name="version"),
    # Prometheus (PROMETHEUS_ENABLED); /metrics as scrapers default to, /metrics/ as Flagsmith serves.
    re_path(r"^metrics/?$", metrics.metrics_view, name="metrics"),
    # The dashboard's runtime configuration: one bundle serves every deployment.
    path("config/", core_views.dashboard_config, name="dashboard-config"),
    # Anything else under /api/ is a JSON 404, even with DEBUG on.
    re_path(r"^api/", json_not_found),
    # Every other path is the dashboard's to route (deep links survive a reload), except
    # the server's own prefixes and file names (a missing /favicon.ico is a 404, not a page).
    re_path(
        r"^(?!(?:api|admin|health|static|version|ofrep|edge|config|metrics|sse)(?:/|$))(?!.*\.[A-Za-z0-9]+/?$)",
        core_views.dashboard,
        name="dashboard",
    ),
]

handler400 = "core.exceptions.json_bad_request"
handler403 = "core.exceptions.json_permission_denied"
handler404 = "core.exceptions.json_not_found"
handler500 = "core.exceptions.json_server_error"
