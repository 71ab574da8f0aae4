from django.urls import path

from documents import views

urlpatterns = [
    path("environments/<str:api_key>/document/", views.EnvironmentDocumentView.as_view(), name="environment-document"),
    path(
        "environments/<str:environment_api_key>/identities/<int:identity_pk>/featurestates/all/",
        views.IdentityEffectiveFlagsView.as_view(),
        name="environment-identity-featurestate-all",
    ),
]
