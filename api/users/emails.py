"""djoser's emails with links built from FLAGSMITH_DOMAIN or the Site record."""

from __future__ import annotations

import logging
from typing import Any

from djoser import email

from users.services import site_domain

logger = logging.getLogger("banderole.email")


class _SiteDomainMixin:
    def get_context_data(self) -> dict[str, Any]:
        context = super().get_context_data()  # type: ignore[misc]
        context["domain"] = site_domain()
        return context

    def send(self, to: list[str], *args: Any, **kwargs: Any) -> None:
        # A mail outage must not turn a password reset or a sign-up into a 500; the
        # account itself is unaffected and the user can ask again.
        try:
            super().send(to, *args, **kwargs)  # type: ignore[misc]
        except Exception:
            logger.exception("Could not send %s to %s", type(self).__name__, ", ".join(to))


class ActivationEmail(_SiteDomainMixin, email.ActivationEmail):
    pass


class PasswordResetEmail(_SiteDomainMixin, email.PasswordResetEmail):
    pass
