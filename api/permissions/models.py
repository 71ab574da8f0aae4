"""Permissions granted to users and groups on an organisation, a project or an environment.

A grant names a user *or* a group, and holds permission keys (``PermissionKey``)
plus, for projects and environments, an ``admin`` flag that implies every key of
that scope. Organisation ADMINs need no grant: they may do everything in their
organisation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.audit import Audited, AuditScope
from environments.models import Environment
from organisations.models import Organisation, UserPermissionGroup
from projects.models import Project


class PermissionType(models.TextChoices):
    ORGANISATION = "ORGANISATION", "Organisation"
    PROJECT = "PROJECT", "Project"
    ENVIRONMENT = "ENVIRONMENT", "Environment"


# Organisation-level keys.
CREATE_PROJECT = "CREATE_PROJECT"
MANAGE_USER_GROUPS = "MANAGE_USER_GROUPS"
# Project-level keys.
VIEW_PROJECT = "VIEW_PROJECT"
CREATE_ENVIRONMENT = "CREATE_ENVIRONMENT"
CREATE_FEATURE = "CREATE_FEATURE"
EDIT_FEATURE = "EDIT_FEATURE"
DELETE_FEATURE = "DELETE_FEATURE"
MANAGE_SEGMENTS = "MANAGE_SEGMENTS"
MANAGE_TAGS = "MANAGE_TAGS"
VIEW_AUDIT_LOG = "VIEW_AUDIT_LOG"
# Environment-level keys.
VIEW_ENVIRONMENT = "VIEW_ENVIRONMENT"
UPDATE_FEATURE_STATE = "UPDATE_FEATURE_STATE"
MANAGE_IDENTITIES = "MANAGE_IDENTITIES"
VIEW_IDENTITIES = "VIEW_IDENTITIES"
MANAGE_SEGMENT_OVERRIDES = "MANAGE_SEGMENT_OVERRIDES"
CREATE_CHANGE_REQUEST = "CREATE_CHANGE_REQUEST"
APPROVE_CHANGE_REQUEST = "APPROVE_CHANGE_REQUEST"

# (key, type, description): the rows of PermissionKey, written by migration 0002.
PERMISSION_KEYS: tuple[tuple[str, str, str], ...] = (
    (CREATE_PROJECT, PermissionType.ORGANISATION, "Create projects in the organisation."),
    (MANAGE_USER_GROUPS, PermissionType.ORGANISATION, "Create, change and delete user groups and their members."),
    (VIEW_PROJECT, PermissionType.PROJECT, "See the project, its features, segments and tags."),
    (CREATE_ENVIRONMENT, PermissionType.PROJECT, "Create (and clone) environments in the project."),
    (CREATE_FEATURE, PermissionType.PROJECT, "Create features in the project."),
    (EDIT_FEATURE, PermissionType.PROJECT, "Change features, their variants and owners."),
    (DELETE_FEATURE, PermissionType.PROJECT, "Delete features."),
    (MANAGE_SEGMENTS, PermissionType.PROJECT, "Create, change and delete segments."),
    (MANAGE_TAGS, PermissionType.PROJECT, "Create, change and delete tags."),
    (VIEW_AUDIT_LOG, PermissionType.PROJECT, "Read the project's audit log."),
    (VIEW_ENVIRONMENT, PermissionType.ENVIRONMENT, "See the environment and its flags."),
    (UPDATE_FEATURE_STATE, PermissionType.ENVIRONMENT, "Change the environment's flags (enabled, value, variants)."),
    (MANAGE_IDENTITIES, PermissionType.ENVIRONMENT, "Create, change and delete identities, traits and overrides."),
    (VIEW_IDENTITIES, PermissionType.ENVIRONMENT, "See identities and their traits."),
    (MANAGE_SEGMENT_OVERRIDES, PermissionType.ENVIRONMENT, "Create, reorder, change and delete segment overrides."),
    (CREATE_CHANGE_REQUEST, PermissionType.ENVIRONMENT, "Open change requests for the environment's flags."),
    (APPROVE_CHANGE_REQUEST, PermissionType.ENVIRONMENT, "Approve other users' change requests."),
)


def keys_of(permission_type: str) -> list[str]:
    return [key for key, kind, _ in PERMISSION_KEYS if kind == permission_type]


class PermissionKey(models.Model):
    """One permission a grant can hold; the rows are fixed (see ``PERMISSION_KEYS``)."""

    key = models.CharField(max_length=100, primary_key=True)
    type = models.CharField(max_length=20, choices=PermissionType.choices)
    description = models.TextField()

    class Meta:
        ordering = ["type", "key"]

    def __str__(self) -> str:
        return self.key


class Grant(models.Model):
    """What a user or a group may do; exactly one of the two is set."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(UserPermissionGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    permissions = models.ManyToManyField(PermissionKey, blank=True, related_name="+")

    class Meta:
        abstract = True

    @classmethod
    def one_grantee(cls, name: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=models.Q(user__isnull=False, group__isnull=True)
            | models.Q(user__isnull=True, group__isnull=False),
            name=f"{name}_user_or_group",
        )


class OrganisationPermission(Audited, Grant):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="permission_grants")

    class Meta:
        ordering = ["id"]
        constraints = [
            Grant.one_grantee("organisationpermission"),
            models.UniqueConstraint(fields=["organisation", "user"], name="unique_organisation_user_permission"),
            models.UniqueConstraint(fields=["organisation", "group"], name="unique_organisation_group_permission"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.group} on {self.organisation}"

    audit_object_type = "ORGANISATION_PERMISSION"

    def audit_scope(self) -> AuditScope:
        return AuditScope(self.organisation_id)


class ProjectPermission(Audited, Grant):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="permission_grants")
    admin = models.BooleanField(default=False, help_text="Every permission on the project and its environments.")

    class Meta:
        ordering = ["id"]
        constraints = [
            Grant.one_grantee("projectpermission"),
            models.UniqueConstraint(fields=["project", "user"], name="unique_project_user_permission"),
            models.UniqueConstraint(fields=["project", "group"], name="unique_project_group_permission"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.group} on {self.project}"

    audit_object_type = "PROJECT_PERMISSION"

    def audit_scope(self) -> AuditScope:
        return self.project.audit_scope()


class EnvironmentPermission(Audited, Grant):
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="permission_grants")
    admin = models.BooleanField(default=False, help_text="Every permission on the environment.")

    class Meta:
        ordering = ["id"]
        constraints = [
            Grant.one_grantee("environmentpermission"),
            models.UniqueConstraint(fields=["environment", "user"], name="unique_environment_user_permission"),
            models.UniqueConstraint(fields=["environment", "group"], name="unique_environment_group_permission"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.group} on {self.environment}"

    audit_object_type = "ENVIRONMENT_PERMISSION"

    def audit_scope(self) -> AuditScope:
        return self.environment.audit_scope()
