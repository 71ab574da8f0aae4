from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password


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
