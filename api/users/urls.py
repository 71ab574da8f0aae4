from django.urls import include, path

from users.views import InitialConfigurationView, LoginView, LogoutView

urlpatterns = [
    path("auth/login/", LoginView.as_view(), name="auth-login"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("auth/token/", LogoutView.as_view(), name="auth-token"),
    path("auth/", include("djoser.urls")),
    path("users/config/init/", InitialConfigurationView.as_view(), name="initial-configuration"),
]
