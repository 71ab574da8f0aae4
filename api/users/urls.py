from django.urls import include, path
from rest_framework.routers import DefaultRouter

from users.views import GithubOAuthView, InitialConfigurationView, LoginView, LogoutView, UserViewSet

# djoser.urls' router, with our UserViewSet (sign-up throttle, case-insensitive email links) in place of djoser's.
auth_router = DefaultRouter()
auth_router.register("users", UserViewSet)

urlpatterns = [
    path("auth/login/", LoginView.as_view(), name="auth-login"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("auth/oauth/github/", GithubOAuthView.as_view(), name="auth-oauth-github"),
    path("auth/token/", LogoutView.as_view(), name="auth-token"),
    path("auth/", include(auth_router.urls)),
    path("users/config/init/", InitialConfigurationView.as_view(), name="initial-configuration"),
]
