from django.urls import path, re_path

from sdk import views

urlpatterns = [
    path("flags/", views.FlagsView.as_view(), name="sdk-flags"),
    path("identities/", views.IdentitiesView.as_view(), name="sdk-identities"),
    path("traits/", views.TraitsView.as_view(), name="sdk-traits"),
    path("traits/bulk/", views.TraitsBulkView.as_view(), name="sdk-traits-bulk"),
    path("traits/increment-value/", views.IncrementTraitView.as_view(), name="sdk-traits-increment"),
    path("environment-document/", views.EnvironmentDocumentView.as_view(), name="sdk-environment-document"),
    path("analytics/flags/", views.AnalyticsFlagsView.as_view(), name="sdk-analytics-flags"),
    # Flagsmith still routes these for older SDKs (its api/urls/deprecated.py and v1.py),
    # with its character sets and without trailing slashes where it has none.
    path(
        "flags/<int:feature_id>/multivariate-options/",
        views.FeatureMultivariateOptionsView.as_view(),
        name="sdk-feature-multivariate-options",
    ),
    re_path(r"^flags/(?P<identifier>[-\w@%.]+)$", views.IdentityFlagsView.as_view(), name="sdk-identity-flags"),
    re_path(
        r"^identities/(?P<identifier>[-\w@%.]+)/traits/(?P<trait_key>[-\w.]+)$",
        views.IdentityTraitView.as_view(),
        name="sdk-identity-trait",
    ),
    re_path(r"^identities/(?P<identifier>[-\w@%.]+)/$", views.IdentityWithSegmentsView.as_view(), name="sdk-identity"),
]
