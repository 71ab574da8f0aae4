from django.urls import include, path
from rest_framework.routers import DefaultRouter

from users.views import (
    GithubOAuthView,
    InitialConfigurationView,
    LoginView,
    LoginWithCodeView,
    LogoutView,
    MFAActivationView,
    MFAActiveMethodsView,
    MFAConfirmActivationView,
    MFADeactivationView,
    UserViewSet,
)

# djoser.urls' router, with our UserViewSet (sign-up throttle, case-insensitive email links) in place of djoser's.
auth_router = DefaultRouter()
auth_router.register("users", UserViewSet)

urlpatterns = [
    path("auth/login/", LoginView.as_view(), name="auth-login"),
    # Two-factor sign-in: Flagsmith's paths (its vendored django-trench).
    path("auth/login/code/", LoginWithCodeView.as_view(), name="auth-login-code"),
    path("auth/<str:method>/activate/", MFAActivationView.as_view(), name="mfa-activate"),
    path("auth/<str:method>/activate/confirm/", MFAConfirmActivationView.as_view(), name="mfa-activate-confirm"),
    path("auth/<str:method>/deactivate/", MFADeactivationView.as_view(), name="mfa-deactivate"),
    path("auth/mfa/user-active-methods/", MFAActiveMethodsView.as_view(), name="mfa-user-active-methods"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("auth/oauth/github/", GithubOAuthView.as_view(), name="auth-oauth-github"),
    path("auth/token/", LogoutView.as_view(), name="auth-token"),
    path("auth/", include(auth_router.urls)),
    path("users/config/init/", InitialConfigurationView.as_view(), name="initial-configuration"),
]
