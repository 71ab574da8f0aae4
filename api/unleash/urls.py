"""``/api/client/``: Unleash's paths, unversioned and without trailing slashes, as the SDKs call them."""

from django.urls import path

from unleash import views

urlpatterns = [
    path("features", views.FeaturesView.as_view(), name="unleash-features"),
    path("features/<str:name>", views.FeatureView.as_view(), name="unleash-feature"),
    path("register", views.RegisterView.as_view(), name="unleash-register"),
    path("metrics", views.MetricsView.as_view(), name="unleash-metrics"),
    # Unleash Edge: the counts of every SDK behind it, and its report on itself.
    path("metrics/bulk", views.BulkMetricsView.as_view(), name="unleash-metrics-bulk"),
    path("metrics/edge", views.EdgeInstanceDataView.as_view(), name="unleash-metrics-edge"),
]
