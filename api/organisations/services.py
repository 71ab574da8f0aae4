"""Organisation membership: creation, roles, invites and joining."""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions

from core.audit import AuditAction, record, snapshot
from organisations.models import (
    Invite,
    InviteLink,
    Organisation,
    OrganisationAPIKey,
    OrganisationRole,
    UserOrganisation,
    UserPermissionGroup,
    UserPermissionGroupMembership,
)
from users.models import User
from users.services import site_domain

logger = logging.getLogger("banderole.organisations")


def has_valid_invite(email: str, invite_hash: str) -> bool:
    """An email invite for this address, or the hash of an invite link that has not expired.

    Sign-up (``users``) asks through ``users.services.has_valid_invite``; installed in ``organisations.apps``.
    """
    if Invite.objects.filter(email__iexact=email).exists():
        return True
    if invite_hash:
        return InviteLink.objects.filter(hash=invite_hash).exclude(expires_at__lte=timezone.now()).exists()
    return False


@transaction.atomic
def create_organisation(*, user: User, **fields: Any) -> Organisation:
    """Create an organisation whose creator is its first ADMIN."""
    organisation = Organisation.objects.create(**fields)
    UserOrganisation.objects.create(user=user, organisation=organisation, role=OrganisationRole.ADMIN)
    record(actor=user, action=AuditAction.CREATE, instance=organisation)
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
def update_member_role(*, organisation: Organisation, user: User, role: str, actor: Any = None) -> UserOrganisation:
    membership = UserOrganisation.objects.select_for_update().get(organisation=organisation, user=user)
    if membership.role == OrganisationRole.ADMIN and role != OrganisationRole.ADMIN:
        _ensure_an_admin_remains(organisation, {user.pk})
    before = snapshot(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    record(actor=actor, action=AuditAction.UPDATE, instance=membership, before=before)
    return membership


@transaction.atomic
def remove_members(*, organisation: Organisation, user_ids: set[int], actor: Any = None) -> int:
    """Remove users from the organisation, with their group memberships there."""
    _ensure_an_admin_remains(organisation, user_ids)
    memberships = list(UserOrganisation.objects.filter(organisation=organisation, user_id__in=user_ids))
    for membership in memberships:
        record(actor=actor, action=AuditAction.DELETE, instance=membership, before=snapshot(membership))
    UserPermissionGroupMembership.objects.filter(group__organisation=organisation, user_id__in=user_ids).delete()
    deleted, _ = UserOrganisation.objects.filter(pk__in=[membership.pk for membership in memberships]).delete()
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
    membership = UserOrganisation.objects.create(user=user, organisation=organisation, role=role)
    # Default groups take every new member, as in Flagsmith.
    for group in UserPermissionGroup.objects.filter(organisation=organisation, is_default=True):
        UserPermissionGroupMembership.objects.get_or_create(group=group, user=user)
    record(actor=user, action=AuditAction.CREATE, instance=membership)
    return membership


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


# --- Organisation settings, groups and API keys (audited) -------------------------------


def update_organisation(organisation: Organisation, data: dict[str, Any], user: Any) -> Organisation:
    """Change an organisation's settings; some (trait storage) change what SDKs do."""
    with transaction.atomic():
        before = snapshot(organisation)
        for field, value in data.items():
            setattr(organisation, field, value)
        organisation.save()
        # Its environments' versions are bumped by documents.signals (organisations sit below environments).
        record(actor=user, action=AuditAction.UPDATE, instance=organisation, before=before)
    return organisation


def _group_snapshot(group: UserPermissionGroup) -> dict[str, Any]:
    members = group.memberships.order_by("user_id").values_list("user_id", "group_admin")
    return snapshot(
        group,
        {
            "users": [user_id for user_id, _ in members],
            "group_admins": [user_id for user_id, admin in members if admin],
        },
    )


def save_group(group: UserPermissionGroup, data: dict[str, Any], user: Any) -> UserPermissionGroup:
    created = group.pk is None
    with transaction.atomic():
        before = {} if created else _group_snapshot(group)
        for field, value in data.items():
            setattr(group, field, value)
        try:
            with transaction.atomic():
                group.save()
        except IntegrityError as exc:
            raise exceptions.ValidationError({"name": ["A group with this name already exists."]}) from exc
        record(
            actor=user,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            instance=group,
            before=before,
            after=_group_snapshot(group),
        )
    return group


def delete_group(group: UserPermissionGroup, user: Any) -> None:
    with transaction.atomic():
        record(actor=user, action=AuditAction.DELETE, instance=group, before=_group_snapshot(group))
        group.delete()


def change_group_members(
    group: UserPermissionGroup, *, add: set[int] = frozenset(), remove: set[int] = frozenset(), user: Any
) -> UserPermissionGroup:
    """Add members of the group's organisation to it, or remove users; anyone else is a 400."""
    members = set(
        UserOrganisation.objects.filter(organisation_id=group.organisation_id, user_id__in=add).values_list(
            "user_id", flat=True
        )
    )
    unknown = set(add) - members
    if unknown:
        ids = ", ".join(str(user_id) for user_id in sorted(unknown))
        raise exceptions.ValidationError({"user_ids": [f"Not members of the organisation: {ids}."]})
    with transaction.atomic():
        before = _group_snapshot(group)
        for user_id in add:
            UserPermissionGroupMembership.objects.get_or_create(group=group, user_id=user_id)
        group.memberships.filter(user_id__in=remove).delete()
        record(actor=user, action=AuditAction.UPDATE, instance=group, before=before, after=_group_snapshot(group))
    return group


def set_group_admin(group: UserPermissionGroup, member_id: int, admin: bool, user: Any) -> UserPermissionGroup:
    with transaction.atomic():
        membership = group.memberships.filter(user_id=member_id).first()
        if membership is None:
            raise exceptions.NotFound("This user is not a member of the group.")
        before = _group_snapshot(group)
        membership.group_admin = admin
        membership.save(update_fields=["group_admin"])
        record(actor=user, action=AuditAction.UPDATE, instance=group, before=before, after=_group_snapshot(group))
    return group


def create_api_key(organisation: Organisation, data: dict[str, Any], user: Any) -> OrganisationAPIKey:
    """Create an organisation API key; the plain key is on the returned object, once."""
    api_key = OrganisationAPIKey(organisation=organisation, **data)
    prefix, key = OrganisationAPIKey.generate_key()
    api_key.set_key(prefix, key)
    with transaction.atomic():
        api_key.save()
        record(actor=user, action=AuditAction.CREATE, instance=api_key)
    api_key.plain_key = key  # type: ignore[attr-defined]
    return api_key


def update_api_key(api_key: OrganisationAPIKey, data: dict[str, Any], user: Any) -> OrganisationAPIKey:
    with transaction.atomic():
        before = snapshot(api_key)
        for field, value in data.items():
            setattr(api_key, field, value)
        api_key.save()
        record(actor=user, action=AuditAction.UPDATE, instance=api_key, before=before)
    return api_key


def delete_api_key(api_key: OrganisationAPIKey, user: Any) -> None:
    with transaction.atomic():
        record(actor=user, action=AuditAction.DELETE, instance=api_key, before=snapshot(api_key))
        api_key.delete()
