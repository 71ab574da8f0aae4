"""Organisation membership: creation, roles, invites and joining."""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from rest_framework import exceptions

from organisations.models import Invite, InviteLink, Organisation, OrganisationRole, UserOrganisation
from users.models import User
from users.services import site_domain

logger = logging.getLogger("banderole.organisations")


@transaction.atomic
def create_organisation(*, user: User, **fields: Any) -> Organisation:
    """Create an organisation whose creator is its first ADMIN."""
    organisation = Organisation.objects.create(**fields)
    UserOrganisation.objects.create(user=user, organisation=organisation, role=OrganisationRole.ADMIN)
    return organisation


def _ensure_an_admin_remains(organisation: Organisation, leaving_user_ids: set[int]) -> None:
    remaining = (
        UserOrganisation.objects.select_for_update()
        .filter(organisation=organisation, role=OrganisationRole.ADMIN)
        .exclude(user_id__in=leaving_user_ids)
    )
    if not remaining.exists():
        raise exceptions.ValidationError({"detail": "An organisation must keep at least one admin."})


@transaction.atomic
def update_member_role(*, organisation: Organisation, user: User, role: str) -> UserOrganisation:
    membership = UserOrganisation.objects.select_for_update().get(organisation=organisation, user=user)
    if membership.role == OrganisationRole.ADMIN and role != OrganisationRole.ADMIN:
        _ensure_an_admin_remains(organisation, {user.pk})
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_members(*, organisation: Organisation, user_ids: set[int]) -> int:
    _ensure_an_admin_remains(organisation, user_ids)
    deleted, _ = UserOrganisation.objects.filter(organisation=organisation, user_id__in=user_ids).delete()
    return deleted


def invite_url(invite: Invite) -> str:
    return f"https://{site_domain()}/invite/{invite.hash}"


def invite_link_url(link: InviteLink) -> str:
    return f"https://{site_domain()}/invite-link/{link.hash}"


def send_invite_email(invite: Invite) -> None:
    """Best effort: an installation without mail still works through invite links."""
    inviter = invite.invited_by.email if invite.invited_by else "An administrator"
    try:
        send_mail(
            subject=f"You have been invited to {invite.organisation.name} on Banderole",
            message=(
                f"{inviter} has invited you to join {invite.organisation.name}.\n\n"
                f"Accept the invitation: {invite_url(invite)}\n"
            ),
            from_email=None,
            recipient_list=[invite.email],
        )
    except Exception:  # a mail outage must not fail the invite itself
        logger.exception("Could not send the invitation email to %s", invite.email)


def create_invites(*, organisation: Organisation, invited_by: User, invites: list[dict[str, Any]]) -> list[Invite]:
    emails = [User.objects.normalize_email(item["email"]) for item in invites]
    already_members = set(
        UserOrganisation.objects.filter(organisation=organisation, user__email__in=emails).values_list(
            "user__email", flat=True
        )
    )
    if already_members:
        raise exceptions.ValidationError(
            {"email": [f"{email} is already a member." for email in sorted(already_members)]}
        )
    already_invited = set(
        Invite.objects.filter(organisation=organisation, email__in=emails).values_list("email", flat=True)
    )
    if already_invited:
        raise exceptions.ValidationError(
            {"email": [f"{email} has already been invited." for email in sorted(already_invited)]}
        )
    with transaction.atomic():
        created = [
            Invite.objects.create(
                organisation=organisation,
                email=email,
                role=item.get("role", OrganisationRole.USER),
                invited_by=invited_by,
            )
            for email, item in zip(emails, invites, strict=True)
        ]
        # Mail after commit: a rolled-back invite must not have been announced.
        for invite in created:
            transaction.on_commit(lambda invite=invite: send_invite_email(invite))
    return created


def _join(user: User, organisation: Organisation, role: str) -> UserOrganisation:
    if UserOrganisation.objects.filter(user=user, organisation=organisation).exists():
        raise exceptions.ValidationError({"detail": "You are already a member of this organisation."})
    return UserOrganisation.objects.create(user=user, organisation=organisation, role=role)


@transaction.atomic
def accept_invite(*, user: User, invite_hash: str) -> Organisation:
    invite = Invite.objects.select_for_update().filter(hash=invite_hash).select_related("organisation").first()
    if invite is None:
        raise exceptions.NotFound("Invite not found.")
    if invite.email.lower() != user.email.lower():
        raise exceptions.ValidationError({"detail": "This invite was sent to another email address."})
    _join(user, invite.organisation, invite.role)
    invite.delete()
    return invite.organisation


@transaction.atomic
def accept_invite_link(*, user: User, link_hash: str) -> Organisation:
    link = InviteLink.objects.filter(hash=link_hash).select_related("organisation").first()
    if link is None or link.is_expired:
        raise exceptions.NotFound("Invite link not found or expired.")
    _join(user, link.organisation, link.role)
    return link.organisation
