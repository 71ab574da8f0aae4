from __future__ import annotations

from typing import Any

from rest_framework import serializers

from organisations.models import UserPermissionGroup
from permissions.models import (
    EnvironmentPermission,
    OrganisationPermission,
    PermissionKey,
    PermissionType,
    ProjectPermission,
)
from users.models import User


class PermissionKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = PermissionKey
        fields = ("key", "description")


class MyPermissionsSerializer(serializers.Serializer):
    admin = serializers.BooleanField()
    permissions = serializers.ListField(child=serializers.CharField())


class _KeysField(serializers.SlugRelatedField):
    """Permission keys of one scope; any other key is a 400 naming it."""

    def __init__(self, permission_type: str, **kwargs: Any) -> None:
        self.permission_type = permission_type
        super().__init__(slug_field="key", many=False, **kwargs)

    def get_queryset(self):
        return PermissionKey.objects.filter(type=self.permission_type)


class _OrganisationMemberField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return User.objects.filter(memberships__organisation=self.context["organisation"])


class _OrganisationGroupField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return UserPermissionGroup.objects.filter(organisation=self.context["organisation"])


def _grant_serializer(model: type, permission_type: str, grantee: str, scope: str, with_admin: bool) -> type:
    """A serializer for one kind of grant: ``{id, user|group, permissions, admin?, <scope>}``."""

    def validate(self: serializers.ModelSerializer, attrs: dict[str, Any]) -> dict[str, Any]:
        if grantee in attrs:
            taken = model.objects.filter(**{scope: self.context["scope_object"], grantee: attrs[grantee]})
            if self.instance is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                raise serializers.ValidationError({grantee: [f"This {grantee} already has a grant here."]})
        return attrs

    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": ("id", grantee, "permissions", *(("admin",) if with_admin else ()), scope),
            "read_only_fields": ("id", scope),
        },
    )
    attrs = {
        "Meta": meta,
        "validate": validate,
        grantee: _OrganisationMemberField() if grantee == "user" else _OrganisationGroupField(),
        "permissions": serializers.ManyRelatedField(
            child_relation=_KeysField(permission_type), required=False, help_text="Permission keys."
        ),
    }
    name = f"{model.__name__.removesuffix('Permission')}{'User' if grantee == 'user' else 'Group'}PermissionSerializer"
    return type(name, (serializers.ModelSerializer,), attrs)


OrganisationUserPermissionSerializer = _grant_serializer(
    OrganisationPermission, PermissionType.ORGANISATION, "user", "organisation", with_admin=False
)
OrganisationGroupPermissionSerializer = _grant_serializer(
    OrganisationPermission, PermissionType.ORGANISATION, "group", "organisation", with_admin=False
)
ProjectUserPermissionSerializer = _grant_serializer(
    ProjectPermission, PermissionType.PROJECT, "user", "project", with_admin=True
)
ProjectGroupPermissionSerializer = _grant_serializer(
    ProjectPermission, PermissionType.PROJECT, "group", "project", with_admin=True
)
EnvironmentUserPermissionSerializer = _grant_serializer(
    EnvironmentPermission, PermissionType.ENVIRONMENT, "user", "environment", with_admin=True
)
EnvironmentGroupPermissionSerializer = _grant_serializer(
    EnvironmentPermission, PermissionType.ENVIRONMENT, "group", "environment", with_admin=True
)
