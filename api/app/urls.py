from django.contrib import admin
from django.urls import include, path, re_path

from core import views as core_views
from core.exceptions import json_not_found

urlpatterns = [
    # ``v`` and digits only, so later unversioned prefixes (/api/client/) stay free;
    # DRF's URLPathVersioning answers 404 for versions outside ALLOWED_VERSIONS.
    re_path(r"^api/(?P<version>v[0-9]+)/", include("unleash.admin_urls")),
    re_path(r"^api/(?P<version>v[0-9]+)/", include("api.urls")),
    # Other flag protocols over the same flags: Unleash SDKs and OpenFeature's OFREP.
    path("api/client/", include("unleash.urls")),
    path("ofrep/v1/", include("ofrep.urls")),
    path("admin/", admin.site.urls),
    path("health/liveness/", core_views.liveness, name="health-liveness"),
    path("health/readiness/", core_views.readiness, name="health-readiness"),
    path("health", core_views.readiness),
    path("version/", core_views.version_info, name="version"),
    # Anything else under /api/ is a JSON 404, even with DEBUG on.
    re_path(r"^api/", json_not_found),
]

handler400 = "core.exceptions.json_bad_request"
handler403 = "core.exceptions.json_permission_denied"
handler404 = "core.exceptions.json_not_found"
handler500 = "core.exceptions.json_server_error"
