"""The admin API's view of the Unleash translation, mounted under ``/api/<version>/``."""

from django.urls import path

from unleash import views

urlpatterns = [
    path(
        "environments/<str:api_key>/unleash/",
        views.TranslationReportView.as_view(),
        name="environment-unleash-translation",
    ),
]
