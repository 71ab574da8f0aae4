"""``/edge/``: what Unleash Edge asks of its upstream besides the client API."""

from django.urls import path

from unleash import views

urlpatterns = [
    path("validate", views.EdgeValidateView.as_view(), name="unleash-edge-validate"),
]
