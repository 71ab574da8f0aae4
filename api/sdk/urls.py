from django.urls import path

from sdk import views

urlpatterns = [
    path("flags/", views.FlagsView.as_view(), name="sdk-flags"),
    path("identities/", views.IdentitiesView.as_view(), name="sdk-identities"),
    path("traits/", views.TraitsView.as_view(), name="sdk-traits"),
    path("traits/bulk/", views.TraitsBulkView.as_view(), name="sdk-traits-bulk"),
    path("traits/increment-value/", views.IncrementTraitView.as_view(), name="sdk-traits-increment"),
    path("environment-document/", views.EnvironmentDocumentView.as_view(), name="sdk-environment-document"),
    path("analytics/flags/", views.AnalyticsFlagsView.as_view(), name="sdk-analytics-flags"),
]
