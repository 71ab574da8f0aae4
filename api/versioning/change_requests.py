"""Change requests: draft versions that publish only once enough other users approved them.

An environment requires them when its ``minimum_change_request_approvals`` is set
(Flagsmith's field): direct flag writes and direct publishes are then refused
(``core.exceptions.ChangeRequestRequired``). A change request holds one or more
drafts of that environment (``EnvironmentFeatureVersion.change_request``); users and
groups are assigned to approve it; approvals by anyone but the author count; once
there are as many as required, a user with UPDATE_FEATURE_STATE commits it, which
publishes each draft at its own ``live_from`` (now if it has none or it has passed).
Every step is one transaction with its audit entry (Flagsmith's messages), which the
organisation's webhooks receive as AUDIT_LOG_CREATED.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions

from core.audit import AuditAction, record, snapshot
from environments import versions
from environments.models import Environment
from users.models import User
from versioning import services
from versioning.models import (
    ChangeRequest,
    ChangeRequestApproval,
    ChangeRequestGroupAssignment,
    EnvironmentFeatureVersion,
)

logger = logging.getLogger("banderole.versioning")

OWN_APPROVAL = "User cannot approve their own Change Request."
NOT_APPROVED = "This change request needs {required} approval(s) from users other than its author; it has {count}."
COMMITTED = "This change request is committed: it cannot change."


class ChangeRequestError(exceptions.APIException):
    status_code = 400
    default_code = "change_request_error"


def approvals_required(change_request: ChangeRequest) -> int:
    return change_request.environment.minimum_change_request_approvals or 0


def approval_count(change_request: ChangeRequest) -> int:
    return change_request.approvals.filter(approved_at__isnull=False).exclude(user_id=change_request.user_id).count()


def is_approved(change_request: ChangeRequest) -> bool:
    return approval_count(change_request) >= approvals_required(change_request)


def _notify(change_request: ChangeRequest, users: list[Any], subject: str, message: str) -> None:
    recipients = [user.email for user in users if user.email]
    if recipients:
        # After the commit, never failing it: an email server that is down costs an email.
        transaction.on_commit(
            lambda: send_mail(subject, message, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=True)
        )


def create_change_request(
    environment: Environment,
    author: Any,
    *,
    title: str,
    description: str | None,
    versions_to_publish: list[EnvironmentFeatureVersion],
    approvers: list[Any],
    groups: list[Any],
) -> ChangeRequest:
    if not environment.use_v2_feature_versioning:
        raise ChangeRequestError(
            {"environment": "Change requests hold draft versions: enable v2 feature versioning on this environment."}
        )
    if not versions_to_publish:
        raise ChangeRequestError({"environment_feature_versions": ["Name at least one draft version."]})
    with transaction.atomic():
        change_request = ChangeRequest.objects.create(
            title=title,
            description=description,
            user=author if isinstance(author, User) else None,
            project_id=environment.project_id,
            environment=environment,
        )
        for version in versions_to_publish:
            locked = EnvironmentFeatureVersion.objects.select_for_update().get(pk=version.pk)
            if (
                locked.environment_id != environment.pk
                or locked.published_at is not None
                or locked.deleted_at is not None
                or locked.change_request_id is not None
            ):
                raise ChangeRequestError(
                    {"environment_feature_versions": [f"{version.uuid} is not a free draft of this environment."]}
                )
            locked.change_request = change_request
            locked.save(update_fields=["change_request", "updated_at"])
        ChangeRequestApproval.objects.bulk_create(
            [ChangeRequestApproval(change_request=change_request, user=user) for user in approvers]
        )
        ChangeRequestGroupAssignment.objects.bulk_create(
            [ChangeRequestGroupAssignment(change_request=change_request, group=group) for group in groups]
        )
        record(
            actor=author,
            action=AuditAction.CREATE,
            instance=change_request,
            log=f"Change Request: {title} created",
            after=snapshot(change_request, {"versions": [str(version.uuid) for version in versions_to_publish]}),
        )
        members = [member for group in groups for member in group.users.all()]
        _notify(
            change_request,
            list({user.pk: user for user in [*approvers, *members] if user.pk != change_request.user_id}.values()),
            f"Change request: {title} (#{change_request.pk})",
            f"You are asked to review the change request '{title}' in {environment.name}.",
        )
    return change_request


def approve(change_request: ChangeRequest, user: Any) -> ChangeRequest:
    with transaction.atomic():
        change_request = (
            ChangeRequest.objects.select_for_update(of=("self",))
            .select_related("environment", "user")
            .get(pk=change_request.pk)
        )
        if change_request.committed_at is not None:
            raise ChangeRequestError(COMMITTED)
        if not isinstance(user, User):
            raise ChangeRequestError("Only a user can approve a change request.")
        if user.pk == change_request.user_id:
            raise ChangeRequestError(OWN_APPROVAL)
        ChangeRequestApproval.objects.update_or_create(
            change_request=change_request, user=user, defaults={"approved_at": timezone.now()}
        )
        record(
            actor=user,
            action=AuditAction.UPDATE,
            instance=change_request,
            log=f"Change Request: {change_request.title} approved",
            changes={"approved_by": {"old": None, "new": user.pk}},
        )
        if change_request.user is not None:
            _notify(
                change_request,
                [change_request.user],
                f"Change request: {change_request.title} (#{change_request.pk})",
                f"{user.email} approved your change request '{change_request.title}'.",
            )
    return change_request


def commit(change_request: ChangeRequest, user: Any) -> ChangeRequest:
    """Publish the request's drafts (each at its live_from, now if none or past), in one transaction."""
    with versions.batch():
        change_request = (
            ChangeRequest.objects.select_for_update(of=("self",))
            .select_related("environment")
            .get(pk=change_request.pk)
        )
        if change_request.committed_at is not None:
            raise ChangeRequestError(COMMITTED)
        if change_request.deleted_at is not None:
            raise exceptions.NotFound()
        if not is_approved(change_request):
            raise ChangeRequestError(
                NOT_APPROVED.format(required=approvals_required(change_request), count=approval_count(change_request))
            )
        for version in change_request.environment_feature_versions.filter(deleted_at__isnull=True).order_by("id"):
            services.publish(version, user, version.live_from, change_request=change_request)
        change_request.committed_at = timezone.now()
        change_request.committed_by = user if isinstance(user, User) else None
        change_request.save(update_fields=["committed_at", "committed_by", "updated_at"])
        record(
            actor=user,
            action=AuditAction.UPDATE,
            instance=change_request,
            log=f"Change Request: {change_request.title} committed",
            changes={"committed_at": {"old": None, "new": change_request.committed_at.isoformat()}},
        )
    return change_request


def delete(change_request: ChangeRequest, user: Any) -> None:
    """Cancel an uncommitted request; its drafts are freed (kept, unpublished)."""
    with transaction.atomic():
        change_request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
        if change_request.committed_at is not None:
            raise ChangeRequestError("Cannot delete a Change Request that has been committed.")
        change_request.deleted_at = timezone.now()
        change_request.save(update_fields=["deleted_at", "updated_at"])
        EnvironmentFeatureVersion.objects.filter(change_request=change_request).update(change_request=None)
        record(
            actor=user,
            action=AuditAction.DELETE,
            instance=change_request,
            log=f"Change Request: {change_request.title} deleted",
            before=snapshot(change_request),
        )
