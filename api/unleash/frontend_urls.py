"""``/api/frontend/…``: the rest of Unleash's Frontend API (``/api/frontend`` itself is in ``app.urls``)."""

from django.urls import path

from unleash import views

urlpatterns = [
    path("features/<str:name>", views.FrontendFeatureView.as_view(), name="unleash-frontend-feature"),
    path("client/metrics", views.FrontendMetricsView.as_view(), name="unleash-frontend-metrics"),
    path("client/register", views.FrontendRegisterView.as_view(), name="unleash-frontend-register"),
]
