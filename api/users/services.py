"""Registration rules and the first-run set-up."""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.contrib.sites.models import Site
from django.db import transaction
from rest_framework.authtoken.models import Token

from users.models import User


def registration_is_allowed(email: str, invite_hash: str = "") -> bool:
    """Whether someone may sign up: open registration, or a valid invite."""
    if settings.ALLOW_REGISTRATION_WITHOUT_INVITE:
        return True
    return has_valid_invite(email, invite_hash)


class InviteCheck(Protocol):
    def __call__(self, email: str, invite_hash: str) -> bool:
        """Whether ``email`` was invited, or ``invite_hash`` names a live invite link."""
        ...


# Invites belong to organisations, which sit above users: organisations installs its check
# in its ready() (install_invite_check); without one, nobody holds an invite.
_invite_check: InviteCheck | None = None


def install_invite_check(check: InviteCheck) -> None:
    global _invite_check
    _invite_check = check


def has_valid_invite(email: str, invite_hash: str = "") -> bool:
    """An email invite for this address, or the hash of an invite link that has not expired."""
    return _invite_check is not None and _invite_check(email, invite_hash)


def initial_configuration_is_open() -> bool:
    return settings.ALLOW_ADMIN_INITIATION_VIA_URL and not User.objects.exists()


class InstallationAlreadyConfigured(Exception):
    pass


def configure_installation(*, username: str, email: str, password: str, site_name: str, site_domain: str) -> User:
    """Create the first superuser and name the site, once per installation."""
    with transaction.atomic():
        # Lock the Site row so two concurrent first-run posts cannot both succeed.
        site, _ = Site.objects.select_for_update().get_or_create(
            pk=settings.SITE_ID, defaults={"domain": site_domain, "name": site_name}
        )
        if User.objects.exists():
            raise InstallationAlreadyConfigured
        site.name = site_name
        site.domain = site_domain
        site.save()
        return User.objects.create_superuser(email=email, password=password, username=username)


def site_domain() -> str:
    """The domain links in emails point at: FLAGSMITH_DOMAIN wins over the Site."""
    if settings.FLAGSMITH_DOMAIN:
        return settings.FLAGSMITH_DOMAIN
    return Site.objects.get_current().domain


def issue_token(user: User) -> str:
    """The API token of ``user`` (one token per user, as Flagsmith's login answers).

    A sign-in returns the token the user already has, so signing in on a second device,
    a second tab or a script does not sign the others out; a change of password or email
    deletes it (``end_sign_ins``), and the next sign-in creates a new one.
    """
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def end_sign_ins(user: User) -> None:
    """End every sign-in of ``user`` after a change of password or email.

    The API token is deleted. Django sessions (the Django admin, session-authenticated
    API calls) need nothing here: each session carries a hash of the password and the
    email (``User._get_session_auth_hash``), so a change of either ends them.
    """
    Token.objects.filter(user=user).delete()


def mark_email_verified(user: User) -> None:
    """Record that ``user`` followed a link sent to their address (activation, password reset)."""
    User.objects.filter(pk=user.pk).update(email_verified=True)


def record_email_change(user: User) -> None:
    """After ``user``'s email changed: the new address is not verified, and every sign-in ends."""
    User.objects.filter(pk=user.pk).update(email_verified=False)
    end_sign_ins(user)
