"""``/ofrep/v1/``: the OpenFeature Remote Evaluation Protocol's two endpoints and its configuration."""

from django.urls import path

from ofrep import views

urlpatterns = [
    path("evaluate/flags", views.BulkEvaluationView.as_view(), name="ofrep-evaluate-flags"),
    path("evaluate/flags/<str:key>", views.FlagEvaluationView.as_view(), name="ofrep-evaluate-flag"),
    path("configuration", views.ConfigurationView.as_view(), name="ofrep-configuration"),
]
