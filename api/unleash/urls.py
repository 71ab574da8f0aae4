"""``/api/client/``: Unleash's paths, unversioned and without trailing slashes, as the SDKs call them."""

from django.urls import path

from unleash import views

urlpatterns = [
    path("features", views.FeaturesView.as_view(), name="unleash-features"),
    path("features/<str:name>", views.FeatureView.as_view(), name="unleash-feature"),
    path("register", views.RegisterView.as_view(), name="unleash-register"),
    path("metrics", views.MetricsView.as_view(), name="unleash-metrics"),
]
