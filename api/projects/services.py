"""Writes of projects, each recorded in the audit log in its transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core import versions
from core.audit import AuditAction, record, snapshot
from permissions.models import ProjectPermission
from projects.models import Project
from users.models import User


def create_project(data: dict[str, Any], user: Any) -> Project:
    with transaction.atomic():
        project = Project.objects.create(**data)
        if isinstance(user, User):
            # As Flagsmith (projects/views.py, perform_create): the user who creates a
            # project administers it, whatever their role; an API key gets no grant.
            ProjectPermission.objects.create(project=project, user=user, admin=True)
        record(actor=user, action=AuditAction.CREATE, instance=project)
    return project


def update_project(project: Project, data: dict[str, Any], user: Any) -> Project:
    """Change a project's settings; some (hidden disabled flags) change what SDKs see."""
    with transaction.atomic():
        before = snapshot(project)
        for field, value in data.items():
            setattr(project, field, value)
        project.save()
        # Its environments' versions are bumped by documents.signals (projects sit below environments).
        record(actor=user, action=AuditAction.UPDATE, instance=project, before=before)
    return project


def delete_project(project: Project, user: Any) -> None:
    with versions.batch():
        record(actor=user, action=AuditAction.DELETE, instance=project, before=snapshot(project))
        project.delete()
