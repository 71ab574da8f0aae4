"""djoser's emails with links built from FLAGSMITH_DOMAIN or the Site record."""

from __future__ import annotations

from typing import Any

from djoser import email

from users.services import site_domain


class _SiteDomainMixin:
    def get_context_data(self) -> dict[str, Any]:
        context = super().get_context_data()  # type: ignore[misc]
        context["domain"] = site_domain()
        return context


class ActivationEmail(_SiteDomainMixin, email.ActivationEmail):
    pass


class PasswordResetEmail(_SiteDomainMixin, email.PasswordResetEmail):
    pass
