from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password

from users.models import User


class InitialConfigurationForm(forms.Form):
    """The seed doc's first-run form: the superuser and the site's name and domain."""

    username = forms.CharField(max_length=150, help_text="A display name for the installation's super user.")
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, strip=False)
    site_name = forms.CharField(max_length=50, initial="Banderole", help_text="e.g. Banderole")
    site_domain = forms.CharField(
        max_length=100, help_text="The domain the dashboard runs on, used in email links, e.g. flags.example.com"
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password"):
            try:
                validate_password(cleaned["password"])
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class EmailAdminAuthenticationForm(AdminAuthenticationForm):
    """The Django admin's sign-in, passing the address as ``email`` like the API does.

    Django's form calls ``authenticate(username=...)``, but django-axes reads the
    username from the ``email`` credential (AXES_USERNAME_FORM_FIELD), so failed
    admin sign-ins were never counted and the admin could be brute-forced.
    """

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            # Normalised so every spelling of one address counts against one allowance.
            self.user_cache = authenticate(self.request, email=User.objects.normalize_email(email), password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
