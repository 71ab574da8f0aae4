"""Who may call what: every admin endpoint against every persona, in one table.

``ROWS`` lists each admin endpoint (method x route, custom actions included) with the
permission it needs (``scope``, ``key``) and the status a permitted caller gets. Each
row is run for seven personas, and the status of each is asserted:

- ``anonymous`` → 401
- ``outsider`` (an admin of another organisation) → 404, nothing revealed
- ``without``: a member who sees the project and environment (VIEW_PROJECT,
  VIEW_ENVIRONMENT) but lacks the key → 403, or 404 when the key *is* the visibility
- ``with``: a member granted the key (on top of visibility) → the success status
- ``group``: the same grants through a user group → the success status
- ``admin``: an organisation ADMIN → the success status
- ``api_key``: an admin organisation API key → the success status

A row's ``overrides`` say where an endpoint departs from this on purpose. Routes are
read from the URL resolver: an admin endpoint missing from ``ROWS`` fails
``test_matrix__covers_every_admin_endpoint`` until it is added. Each persona's request
runs in a savepoint that is rolled back, so every persona meets the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

from audit.models import AuditLog
from environments.models import Environment
from environments.services import create_server_key
from environments.tests.factories import EnvironmentFactory
from features.models import FeatureState
from features.services import create_feature, create_feature_states_for_environment, create_segment_override
from features.tests.factories import MultivariateFeatureOptionFactory, TagFactory
from identities.services import create_identity_override
from identities.tests.factories import IdentityFactory, TraitFactory
from organisations.models import Organisation, OrganisationRole
from organisations.tests.factories import InviteFactory, InviteLinkFactory, MembershipFactory
from permissions.access import ADMIN, MEMBER
from permissions.models import (
    APPROVE_CHANGE_REQUEST,
    CREATE_CHANGE_REQUEST,
    CREATE_ENVIRONMENT,
    CREATE_FEATURE,
    CREATE_PROJECT,
    DELETE_FEATURE,
    EDIT_FEATURE,
    MANAGE_IDENTITIES,
    MANAGE_SEGMENT_OVERRIDES,
    MANAGE_SEGMENTS,
    MANAGE_TAGS,
    MANAGE_USER_GROUPS,
    UPDATE_FEATURE_STATE,
    VIEW_AUDIT_LOG,
    VIEW_ENVIRONMENT,
    VIEW_IDENTITIES,
    VIEW_PROJECT,
)
from permissions.tests.factories import UserPermissionGroupFactory, add_to_group, grant, make_api_key
from projects.models import Project
from segments.tests.factories import SegmentFactory
from versioning import change_requests
from versioning import services as versioning_services
from versioning.services import StateData
from webhooks.models import EnvironmentWebhook, OrganisationWebhook

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "outsider", "without", "with", "group", "admin", "api_key")

ORG, PROJECT, ENV = "organisation", "project", "environment"

# Route names under /api/v1/ that are not admin endpoints, and why.
NOT_ADMIN_ENDPOINTS = {
    "join-organisation": "a signed-in user accepts an invite sent to them: no organisation permission applies",
    "join-organisation-link": "the same, through a shared link",
}
ADMIN_VIEW_MODULES = (
    "organisations.",
    "projects.",
    "environments.",
    "features.",
    "segments.",
    "permissions.",
    "audit.",
    "webhooks.",
    "analytics.",
    "documents.",
    "versioning.",
)
ADMIN_VIEWS_ELSEWHERE = {"environment-unleash-translation"}


@dataclass
class Row:
    method: str
    path: str
    scope: str | None
    key: str | None
    success: int
    body: Any = None
    overrides: dict[str, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"


def crud(
    base: str,
    detail: str,
    scope: str,
    *,
    read: str | None,
    create: str | None = None,
    update: str | None = None,
    delete: str | None = None,
    create_body: Any = None,
    update_body: Any = None,
    put_body: Any = None,
    list_overrides: dict[str, int] | None = None,
    detail_overrides: dict[str, int] | None = None,
) -> list[Row]:
    # ``detail_overrides`` apply to the retrieve only.
    """The rows of a standard viewset: list, retrieve, and whichever writes it has."""
    rows = [
        Row("get", base, scope, read, 200, overrides=list_overrides or {}),
        Row("get", detail, scope, read, 200, overrides=detail_overrides or {}),
    ]
    if create:
        rows.append(Row("post", base, scope, create, 201, create_body))
    if update:
        rows.append(Row("patch", detail, scope, update, 200, update_body))
        rows.append(Row("put", detail, scope, update, 200, put_body or update_body))
    if delete:
        rows.append(Row("delete", detail, scope, delete, 204))
    return rows


V1 = "/api/v1"
ORG_URL = f"{V1}/organisations/{{organisation}}"
P = f"{V1}/projects/{{project}}"
E = f"{V1}/environments/{{environment}}"
IDENTITY_URL = f"{E}/identities/{{identity}}"
VE = f"{V1}/environments/{{versioned_environment}}"
GE = f"{V1}/environments/{{guarded_environment}}"
CR = f"{V1}/features/workflows/change-requests/{{change_request}}"
VERSIONS = f"{V1}/environments/{{versioned_environment_id}}/features/{{feature}}/versions"
EVERYONE = {"outsider": 200, "without": 200}  # lists scoped to what the caller sees
# Members list the groups they belong to; another group is a 404 unless they manage groups.
NOT_WITHOUT_GROUP = {"without": 404}

ROWS: list[Row] = [
    # --- Organisations ------------------------------------------------------------------
    Row("get", f"{V1}/organisations/", None, None, 200, overrides=EVERYONE),
    Row("post", f"{V1}/organisations/", None, None, 201, {"name": "New Co"}, {"outsider": 201, "api_key": 403}),
    Row("get", f"{V1}/organisations/permissions/", None, None, 200, overrides=EVERYONE),
    Row("get", f"{ORG_URL}/", ORG, MEMBER, 200),
    Row("patch", f"{ORG_URL}/", ORG, ADMIN, 200, {"name": "Renamed"}),
    Row("put", f"{ORG_URL}/", ORG, ADMIN, 200, {"name": "Renamed"}),
    Row("delete", f"{ORG_URL}/", ORG, ADMIN, 204),
    Row("get", f"{ORG_URL}/projects/", ORG, MEMBER, 200),
    Row("get", f"{V1}/organisations/get-by-uuid/{{organisation_uuid}}/", ORG, MEMBER, 200),
    Row("get", f"{ORG_URL}/my-permissions/", ORG, MEMBER, 200),
    # Flagsmith's billing and usage probes: organisation admins only, as there.
    Row("get", f"{ORG_URL}/get-subscription-metadata/", ORG, ADMIN, 200),
    Row("get", f"{ORG_URL}/usage-data/", ORG, ADMIN, 200),
    Row("get", f"{ORG_URL}/usage-data/total-count/", ORG, ADMIN, 200),
    # Flagsmith parts not here, answered as none: members read.
    Row("get", f"{ORG_URL}/integrations/github/", ORG, MEMBER, 200),
    Row("get", f"{V1}/metadata/fields/?organisation={{organisation}}", ORG, MEMBER, 200),
    Row("get", f"{ORG_URL}/metadata-model-fields/", ORG, MEMBER, 200),
    Row("get", f"{ORG_URL}/metadata-model-fields/supported-content-types/", ORG, MEMBER, 200),
    Row("post", f"{ORG_URL}/remove-users/", ORG, ADMIN, 204, [{"id": "{grantee}"}]),
    Row("get", f"{ORG_URL}/users/", ORG, MEMBER, 200),
    Row("post", f"{ORG_URL}/users/{{grantee}}/update-role/", ORG, ADMIN, 200, {"role": "ADMIN"}),
    *crud(
        f"{ORG_URL}/invites/",
        f"{ORG_URL}/invites/{{invite}}/",
        ORG,
        read=ADMIN,
        create=ADMIN,
        delete=ADMIN,
        create_body={"email": "new@example.com"},
    ),
    Row("post", f"{ORG_URL}/invites/{{invite}}/resend/", ORG, ADMIN, 204),
    Row("post", f"{ORG_URL}/invite/", ORG, ADMIN, 201, {"invites": [{"email": "many@example.com", "role": "USER"}]}),
    *crud(
        f"{ORG_URL}/invite-links/",
        f"{ORG_URL}/invite-links/{{invite_link}}/",
        ORG,
        read=ADMIN,
        create=ADMIN,
        delete=ADMIN,
        create_body={"role": "USER"},
    ),
    *crud(
        f"{ORG_URL}/groups/",
        f"{ORG_URL}/groups/{{group}}/",
        ORG,
        read=MANAGE_USER_GROUPS,
        list_overrides={"without": 200},
        create=MANAGE_USER_GROUPS,
        update=MANAGE_USER_GROUPS,
        delete=MANAGE_USER_GROUPS,
        create_body={"name": "Testers"},
        update_body={"name": "Renamed"},
        detail_overrides=NOT_WITHOUT_GROUP,
    ),
    Row("get", f"{ORG_URL}/groups/my-groups/", ORG, MEMBER, 200),
    Row("get", f"{ORG_URL}/groups/summaries/", ORG, MEMBER, 200),
    Row("post", f"{ORG_URL}/groups/{{group}}/add-users/", ORG, MANAGE_USER_GROUPS, 200, {"user_ids": ["{grantee}"]}),
    Row("post", f"{ORG_URL}/groups/{{group}}/remove-users/", ORG, MANAGE_USER_GROUPS, 200, {"user_ids": ["{grantee}"]}),
    Row("post", f"{ORG_URL}/groups/{{group}}/users/{{group_member}}/make-admin/", ORG, MANAGE_USER_GROUPS, 200),
    Row("post", f"{ORG_URL}/groups/{{group}}/users/{{group_member}}/remove-admin/", ORG, MANAGE_USER_GROUPS, 200),
    *crud(
        f"{ORG_URL}/master-api-keys/",
        f"{ORG_URL}/master-api-keys/{{api_key_prefix}}/",
        ORG,
        read=ADMIN,
        create=ADMIN,
        update=ADMIN,
        delete=ADMIN,
        # A group key: only a signed-in user (not the api_key persona) may create admin keys
        # (organisations/tests/test_api_key_rules.py).
        create_body={"name": "terraform", "is_admin": False, "group": "{group}"},
        update_body={"name": "renamed", "revoked": True},
    ),
    *crud(
        f"{ORG_URL}/user-permissions/",
        f"{ORG_URL}/user-permissions/{{org_user_grant}}/",
        ORG,
        read=ADMIN,
        create=ADMIN,
        update=ADMIN,
        delete=ADMIN,
        create_body={"user": "{grantee}", "permissions": [CREATE_PROJECT]},
        update_body={"user": "{grantee2}", "permissions": [MANAGE_USER_GROUPS]},
    ),
    *crud(
        f"{ORG_URL}/user-group-permissions/",
        f"{ORG_URL}/user-group-permissions/{{org_group_grant}}/",
        ORG,
        read=ADMIN,
        create=ADMIN,
        update=ADMIN,
        delete=ADMIN,
        create_body={"group": "{group2}", "permissions": [CREATE_PROJECT]},
        update_body={"group": "{group}", "permissions": []},
    ),
    Row("get", f"{ORG_URL}/audit/", ORG, MEMBER, 200),
    Row("get", f"{ORG_URL}/audit/{{project_audit}}/", PROJECT, VIEW_AUDIT_LOG, 200, overrides={"without": 404}),
    # --- Projects -----------------------------------------------------------------------
    Row("get", f"{V1}/projects/", None, None, 200, overrides=EVERYONE),
    Row(
        "post",
        f"{V1}/projects/",
        ORG,
        CREATE_PROJECT,
        201,
        {"name": "New", "organisation": "{organisation}"},
        {"outsider": 400},
    ),
    Row("get", f"{V1}/projects/permissions/", None, None, 200, overrides=EVERYONE),
    Row("get", f"{P}/", PROJECT, VIEW_PROJECT, 200),
    Row("patch", f"{P}/", PROJECT, ADMIN, 200, {"name": "Renamed"}),
    Row("put", f"{P}/", PROJECT, ADMIN, 200, {"name": "Renamed", "organisation": "{organisation}"}),
    Row("delete", f"{P}/", PROJECT, ADMIN, 204),
    Row("get", f"{P}/environments/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{V1}/projects/get-by-uuid/{{project_uuid}}/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{P}/my-permissions/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{P}/feature-imports/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{P}/feature-exports/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{P}/feature-health/events/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{P}/feature-health/providers/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{P}/metadata/fields/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{P}/integrations/datadog/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{P}/features/{{feature}}/code-references/", PROJECT, VIEW_PROJECT, 200),
    *crud(
        f"{P}/user-permissions/",
        f"{P}/user-permissions/{{project_user_grant}}/",
        PROJECT,
        read=ADMIN,
        create=ADMIN,
        update=ADMIN,
        delete=ADMIN,
        create_body={"user": "{grantee}", "permissions": [VIEW_PROJECT], "admin": False},
        update_body={"user": "{grantee2}", "permissions": [VIEW_PROJECT, CREATE_FEATURE], "admin": False},
    ),
    *crud(
        f"{P}/user-group-permissions/",
        f"{P}/user-group-permissions/{{project_group_grant}}/",
        PROJECT,
        read=ADMIN,
        create=ADMIN,
        update=ADMIN,
        delete=ADMIN,
        create_body={"group": "{group2}", "permissions": [VIEW_PROJECT]},
        update_body={"group": "{group}", "permissions": [VIEW_PROJECT], "admin": True},
    ),
    Row("get", f"{P}/audit/", PROJECT, VIEW_AUDIT_LOG, 200),
    Row("get", f"{P}/audit/{{project_audit}}/", PROJECT, VIEW_AUDIT_LOG, 200),
    *crud(
        f"{P}/features/",
        f"{P}/features/{{feature}}/",
        PROJECT,
        read=VIEW_PROJECT,
        create=CREATE_FEATURE,
        update=EDIT_FEATURE,
        delete=DELETE_FEATURE,
        create_body={"name": "new_feature"},
        update_body={"name": "secret_feature", "description": "changed"},
    ),
    Row("post", f"{P}/features/{{feature}}/add-owners/", PROJECT, EDIT_FEATURE, 200, {"user_ids": ["{grantee}"]}),
    Row("post", f"{P}/features/{{feature}}/remove-owners/", PROJECT, EDIT_FEATURE, 200, {"user_ids": ["{grantee}"]}),
    Row("post", f"{P}/features/{{feature}}/add-group-owners/", PROJECT, EDIT_FEATURE, 200, {"group_ids": ["{group}"]}),
    Row(
        "post", f"{P}/features/{{feature}}/remove-group-owners/", PROJECT, EDIT_FEATURE, 200, {"group_ids": ["{group}"]}
    ),
    # Flagsmith's uuid lookups, as its Terraform provider reads objects.
    Row("get", f"{V1}/features/get-by-uuid/{{feature_uuid}}/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{V1}/multivariate/options/get-by-uuid/{{mv_option_uuid}}/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{V1}/segments/get-by-uuid/{{segment_uuid}}/", PROJECT, VIEW_PROJECT, 200),
    Row("get", f"{P}/tags/get-by-uuid/{{tag_uuid}}/", PROJECT, VIEW_PROJECT, 200),
    *crud(
        f"{P}/features/{{feature}}/mv-options/",
        f"{P}/features/{{feature}}/mv-options/{{mv_option}}/",
        PROJECT,
        read=VIEW_PROJECT,
        create=EDIT_FEATURE,
        update=EDIT_FEATURE,
        delete=EDIT_FEATURE,
        create_body={"type": "unicode", "string_value": "b", "default_percentage_allocation": 0},
        update_body={"type": "unicode", "string_value": "c", "default_percentage_allocation": 10},
    ),
    *crud(
        f"{P}/segments/",
        f"{P}/segments/{{segment}}/",
        PROJECT,
        read=VIEW_PROJECT,
        create=MANAGE_SEGMENTS,
        update=MANAGE_SEGMENTS,
        delete=MANAGE_SEGMENTS,
        create_body={"name": "beta", "project": "{project}", "rules": []},
        update_body={"name": "renamed", "project": "{project}", "rules": []},
    ),
    Row("post", f"{P}/segments/{{segment}}/clone/", PROJECT, MANAGE_SEGMENTS, 201, {"name": "copy"}),
    *crud(
        f"{P}/tags/",
        f"{P}/tags/{{tag}}/",
        PROJECT,
        read=VIEW_PROJECT,
        create=MANAGE_TAGS,
        update=MANAGE_TAGS,
        delete=MANAGE_TAGS,
        create_body={"label": "new", "color": "#000000"},
        update_body={"label": "renamed", "color": "#ffffff"},
    ),
    # --- Environments -------------------------------------------------------------------
    Row("get", f"{V1}/environments/?project={{project}}", None, None, 200, overrides=EVERYONE),
    Row(
        "post",
        f"{V1}/environments/",
        PROJECT,
        CREATE_ENVIRONMENT,
        201,
        {"name": "Staging", "project": "{project}"},
        {"outsider": 400},
    ),
    Row("get", f"{V1}/environments/permissions/", None, None, 200, overrides=EVERYONE),
    Row("get", f"{E}/", ENV, VIEW_ENVIRONMENT, 200),
    Row("get", f"{V1}/environments/get-by-uuid/{{environment_uuid}}/", ENV, VIEW_ENVIRONMENT, 200),
    Row("patch", f"{E}/", ENV, ADMIN, 200, {"name": "Renamed"}),
    Row("put", f"{E}/", ENV, ADMIN, 200, {"name": "Renamed", "project": "{project}"}),
    Row("delete", f"{E}/", ENV, ADMIN, 204),
    Row("post", f"{E}/clone/", PROJECT, CREATE_ENVIRONMENT, 201, {"name": "Copy"}),
    Row("get", f"{E}/document/", ENV, VIEW_ENVIRONMENT, 200),
    Row("get", f"{E}/my-permissions/", ENV, VIEW_ENVIRONMENT, 200),
    Row("get", f"{E}/metrics/", ENV, VIEW_ENVIRONMENT, 200),
    Row("get", f"{E}/integrations/slack/", ENV, VIEW_ENVIRONMENT, 200),
    Row("get", f"{E}/unleash/", ENV, VIEW_ENVIRONMENT, 200),
    *crud(
        f"{E}/api-keys/",
        f"{E}/api-keys/{{server_key}}/",
        ENV,
        read=ADMIN,
        create=ADMIN,
        update=ADMIN,
        delete=ADMIN,
        create_body={"name": "backend"},
        update_body={"name": "renamed", "active": False},
    ),
    *crud(
        f"{E}/user-permissions/",
        f"{E}/user-permissions/{{env_user_grant}}/",
        ENV,
        read=ADMIN,
        create=ADMIN,
        update=ADMIN,
        delete=ADMIN,
        create_body={"user": "{grantee}", "permissions": [VIEW_ENVIRONMENT], "admin": False},
        update_body={"user": "{grantee2}", "permissions": [UPDATE_FEATURE_STATE], "admin": False},
    ),
    *crud(
        f"{E}/user-group-permissions/",
        f"{E}/user-group-permissions/{{env_group_grant}}/",
        ENV,
        read=ADMIN,
        create=ADMIN,
        update=ADMIN,
        delete=ADMIN,
        create_body={"group": "{group2}", "permissions": [VIEW_ENVIRONMENT]},
        update_body={"group": "{group}", "permissions": [], "admin": True},
    ),
    # --- Flags in an environment --------------------------------------------------------
    Row("get", f"{E}/featurestates/", ENV, VIEW_ENVIRONMENT, 200),
    Row("get", f"{E}/featurestates/{{feature_state}}/", ENV, VIEW_ENVIRONMENT, 200),
    Row("patch", f"{E}/featurestates/{{feature_state}}/", ENV, UPDATE_FEATURE_STATE, 200, {"enabled": True}),
    Row("put", f"{E}/featurestates/{{feature_state}}/", ENV, UPDATE_FEATURE_STATE, 200, {"enabled": True}),
    Row("patch", f"{E}/featurestates/{{override_state}}/", ENV, MANAGE_SEGMENT_OVERRIDES, 200, {"enabled": False}),
    # features/featurestates/: the same states by id (Flagsmith's Terraform provider writes here).
    Row("get", f"{V1}/features/featurestates/?environment={{environment_id}}", ENV, VIEW_ENVIRONMENT, 200),
    Row("get", f"{V1}/features/featurestates/{{feature_state}}/", ENV, VIEW_ENVIRONMENT, 200),
    Row("get", f"{V1}/features/featurestates/get-by-uuid/{{feature_state_uuid}}/", ENV, VIEW_ENVIRONMENT, 200),
    Row(
        "put",
        f"{V1}/features/featurestates/{{feature_state}}/",
        ENV,
        UPDATE_FEATURE_STATE,
        200,
        {"feature": "{feature}", "environment": "{environment_id}", "enabled": True},
    ),
    Row("patch", f"{V1}/features/featurestates/{{feature_state}}/", ENV, UPDATE_FEATURE_STATE, 200, {"enabled": True}),
    Row(
        "patch",
        f"{V1}/features/featurestates/{{override_state}}/",
        ENV,
        MANAGE_SEGMENT_OVERRIDES,
        200,
        {"enabled": True},
    ),
    Row(
        "post",
        f"{V1}/features/featurestates/",
        ENV,
        MANAGE_SEGMENT_OVERRIDES,
        201,
        {
            "feature": "{feature}",
            "environment": "{environment_id}",
            "feature_segment": "{feature_segment}",
            "enabled": True,
            "feature_state_value": {"type": "unicode", "string_value": "on"},
        },
    ),
    Row("get", f"{V1}/features/feature-segments/get-by-uuid/{{feature_segment_uuid}}/", ENV, VIEW_ENVIRONMENT, 200),
    Row(
        "get",
        f"{V1}/features/feature-segments/?environment={{environment_id}}&feature={{feature}}",
        ENV,
        VIEW_ENVIRONMENT,
        200,
    ),
    Row(
        "post",
        f"{V1}/features/feature-segments/",
        ENV,
        MANAGE_SEGMENT_OVERRIDES,
        201,
        {"feature": "{feature}", "segment": "{segment}", "environment": "{environment_id}"},
    ),
    Row("get", f"{V1}/features/feature-segments/{{feature_segment}}/", ENV, VIEW_ENVIRONMENT, 200),
    Row(
        "patch",
        f"{V1}/features/feature-segments/{{feature_segment}}/",
        ENV,
        MANAGE_SEGMENT_OVERRIDES,
        200,
        {"priority": 0},
    ),
    Row(
        "put",
        f"{V1}/features/feature-segments/{{feature_segment}}/",
        ENV,
        MANAGE_SEGMENT_OVERRIDES,
        200,
        {"priority": 0},
    ),
    Row("delete", f"{V1}/features/feature-segments/{{feature_segment}}/", ENV, MANAGE_SEGMENT_OVERRIDES, 204),
    Row(
        "post",
        f"{V1}/features/feature-segments/update-priorities/",
        ENV,
        MANAGE_SEGMENT_OVERRIDES,
        200,
        [{"id": "{feature_segment}", "priority": 0}],
    ),
    Row(
        "post",
        f"{E}/features/{{feature}}/create-segment-override/",
        ENV,
        MANAGE_SEGMENT_OVERRIDES,
        201,
        {"feature_segment": {"segment": "{segment}"}, "enabled": True},
    ),
    # --- Identities, traits, identity overrides -----------------------------------------
    *crud(
        f"{E}/identities/",
        f"{E}/identities/{{identity}}/",
        ENV,
        read=VIEW_IDENTITIES,
        create=MANAGE_IDENTITIES,
        update=MANAGE_IDENTITIES,
        delete=MANAGE_IDENTITIES,
        create_body={"identifier": "new-user"},
        update_body={"identifier": "user-1", "dashboard_alias": "alias"},
    ),
    *crud(
        f"{IDENTITY_URL}/traits/",
        f"{IDENTITY_URL}/traits/{{trait}}/",
        ENV,
        read=VIEW_IDENTITIES,
        create=MANAGE_IDENTITIES,
        update=MANAGE_IDENTITIES,
        delete=MANAGE_IDENTITIES,
        create_body={"trait_key": "age", "trait_value": 42},
        update_body={"trait_key": "plan", "trait_value": "gold"},
    ),
    *crud(
        f"{IDENTITY_URL}/featurestates/",
        f"{IDENTITY_URL}/featurestates/{{identity_override}}/",
        ENV,
        read=VIEW_IDENTITIES,
        create=MANAGE_IDENTITIES,
        update=MANAGE_IDENTITIES,
        delete=MANAGE_IDENTITIES,
        create_body={"feature": "{feature2}", "enabled": True},
        update_body={"feature": "{feature}", "enabled": False},
    ),
    Row("get", f"{IDENTITY_URL}/featurestates/all/", ENV, VIEW_IDENTITIES, 200),
    Row(
        "post",
        f"{IDENTITY_URL}/featurestates/clone-from-given-identity/",
        ENV,
        MANAGE_IDENTITIES,
        200,
        {"source_identity_id": "{identity2}"},
    ),
    Row("get", f"{E}/trait-keys/", ENV, VIEW_IDENTITIES, 200),
    Row("post", f"{E}/delete-traits/", ENV, MANAGE_IDENTITIES, 200, {"key": "plan"}),
    # --- Webhooks (they hold signing secrets: admins only) ------------------------------
    *crud(
        f"{E}/webhooks/",
        f"{E}/webhooks/{{env_webhook}}/",
        ENV,
        read=ADMIN,
        create=ADMIN,
        update=ADMIN,
        delete=ADMIN,
        create_body={"url": "http://127.0.0.1:9/hook", "secret": "s"},
        update_body={"url": "http://127.0.0.1:9/other", "enabled": False},
    ),
    *crud(
        f"{ORG_URL}/webhooks/",
        f"{ORG_URL}/webhooks/{{org_webhook}}/",
        ORG,
        read=ADMIN,
        create=ADMIN,
        update=ADMIN,
        delete=ADMIN,
        create_body={"url": "http://127.0.0.1:9/hook", "name": "siem"},
        update_body={"url": "http://127.0.0.1:9/other", "enabled": False},
    ),
    Row("get", f"{E}/webhooks/{{env_webhook}}/deliveries/", ENV, ADMIN, 200),
    Row("get", f"{ORG_URL}/webhooks/{{org_webhook}}/deliveries/", ORG, ADMIN, 200),
    # Port 9 (discard) is closed: a permitted caller is told the URL could not be reached (400).
    Row(
        "post",
        f"{V1}/webhooks/test/",
        ENV,
        ADMIN,
        400,
        {"webhook_url": "http://127.0.0.1:9/", "scope": {"type": "environment", "id": "{environment}"}},
    ),
    Row(
        "post",
        f"{V1}/webhooks/test/",
        ORG,
        ADMIN,
        400,
        {"webhook_url": "http://127.0.0.1:9/", "scope": {"type": "organisation", "id": "{organisation}"}},
    ),
    # --- Flag analytics --------------------------------------------------------------------
    Row(
        "get",
        f"{P}/features/{{feature}}/evaluation-data/?environment_id={{environment_id}}",
        ENV,
        VIEW_ENVIRONMENT,
        200,
    ),
    # --- Feature versions (the versioned environment of the same project) ---------------
    Row("post", f"{E}/enable-v2-versioning/", ENV, ADMIN, 202),
    Row("post", f"{VE}/disable-v2-versioning/", ENV, ADMIN, 202),
    Row("get", f"{VE}/scheduled-changes/", ENV, VIEW_ENVIRONMENT, 200),
    Row("get", f"{VERSIONS}/", ENV, VIEW_ENVIRONMENT, 200),
    Row("post", f"{VERSIONS}/", ENV, UPDATE_FEATURE_STATE, 201, {"description": "a draft"}),
    Row("get", f"{VERSIONS}/{{live_version_uuid}}/", ENV, VIEW_ENVIRONMENT, 200),
    Row("delete", f"{VERSIONS}/{{draft_version_uuid}}/", ENV, UPDATE_FEATURE_STATE, 204),
    Row("post", f"{VERSIONS}/{{draft_version_uuid}}/publish/", ENV, UPDATE_FEATURE_STATE, 200, {}),
    Row("post", f"{VERSIONS}/{{live_version_uuid}}/restore/", ENV, UPDATE_FEATURE_STATE, 201, {}),
    Row("get", f"{VERSIONS}/{{live_version_uuid}}/diff/", ENV, VIEW_ENVIRONMENT, 200),
    Row("get", f"{VERSIONS}/{{draft_version_uuid}}/featurestates/", ENV, VIEW_ENVIRONMENT, 200),
    Row(
        "post",
        f"{VERSIONS}/{{draft_version_uuid}}/featurestates/",
        ENV,
        UPDATE_FEATURE_STATE,
        201,
        {"feature_segment": {"segment": "{segment}"}, "enabled": True},
    ),
    Row("get", f"{VERSIONS}/{{draft_version_uuid}}/featurestates/{{draft_state}}/", ENV, VIEW_ENVIRONMENT, 200),
    Row(
        "patch",
        f"{VERSIONS}/{{draft_version_uuid}}/featurestates/{{draft_state}}/",
        ENV,
        UPDATE_FEATURE_STATE,
        200,
        {"enabled": False},
    ),
    Row(
        "put",
        f"{VERSIONS}/{{draft_version_uuid}}/featurestates/{{draft_state}}/",
        ENV,
        UPDATE_FEATURE_STATE,
        200,
        {"enabled": False, "feature_state_value": "v"},
    ),
    Row(
        "delete",
        f"{VERSIONS}/{{draft_version_uuid}}/featurestates/{{draft_override_state}}/",
        ENV,
        UPDATE_FEATURE_STATE,
        204,
    ),
    Row("get", f"{V1}/environment-feature-versions/{{live_version_uuid}}/", ENV, VIEW_ENVIRONMENT, 200),
    # --- Change requests (a versioned environment that requires approvals: 0 of them) --
    Row(
        "post",
        f"{GE}/create-change-request/",
        ENV,
        CREATE_CHANGE_REQUEST,
        201,
        {"title": "New", "environment_feature_versions": ["{guarded_draft_uuid}"]},
    ),
    Row("get", f"{GE}/list-change-requests/", ENV, VIEW_ENVIRONMENT, 200),
    Row("get", f"{CR}/", ENV, VIEW_ENVIRONMENT, 200),
    Row("patch", f"{CR}/", ENV, CREATE_CHANGE_REQUEST, 200, {"title": "Renamed"}),
    Row("put", f"{CR}/", ENV, CREATE_CHANGE_REQUEST, 200, {"title": "Renamed"}),
    Row("delete", f"{CR}/", ENV, CREATE_CHANGE_REQUEST, 204),
    # An organisation API key is no user: it cannot approve.
    Row("post", f"{CR}/approve/", ENV, APPROVE_CHANGE_REQUEST, 200, overrides={"api_key": 400}),
    Row("post", f"{CR}/commit/", ENV, UPDATE_FEATURE_STATE, 200),
    # --- Audit log ----------------------------------------------------------------------
    Row("get", f"{V1}/audit/", None, None, 200, overrides=EVERYONE),
    Row("get", f"{V1}/audit/{{project_audit}}/", PROJECT, VIEW_AUDIT_LOG, 200, overrides={"without": 404}),
]


def expected_status(row: Row, persona: str) -> int:
    if persona == "anonymous":
        return 401
    if persona in row.overrides:
        return row.overrides[persona]
    if persona == "outsider":
        return 404
    if persona == "group" and row.scope == ORG and row.key == ADMIN:
        return 403  # the organisation ADMIN role is a membership, not a grant
    if persona == "without" and row.key not in (None, MEMBER):
        return 404 if row.key in (VIEW_PROJECT, VIEW_ENVIRONMENT) else 403
    return row.success


@pytest.fixture
def victim(organisation, admin_user, project, environment) -> dict[str, Any]:
    """Organisation A with one of everything; ids by placeholder name."""
    feature = create_feature(project=project, user=admin_user, data={"name": "secret_feature"})
    feature2 = create_feature(project=project, user=admin_user, data={"name": "other_feature"})
    segment = SegmentFactory(project=project)
    override_state = create_segment_override(
        feature=feature, segment=SegmentFactory(project=project), environment=environment, user=admin_user
    )
    identity = IdentityFactory(environment=environment, identifier="user-1")
    identity2 = IdentityFactory(environment=environment, identifier="user-2")
    identity_override = create_identity_override(identity, feature, {"enabled": True}, admin_user)
    grantee = MembershipFactory(organisation=organisation).user
    grantee2 = MembershipFactory(organisation=organisation).user
    group = UserPermissionGroupFactory(organisation=organisation)
    group2 = UserPermissionGroupFactory(organisation=organisation)
    group_member = MembershipFactory(organisation=organisation).user
    add_to_group(group, group_member)
    api_key, _ = make_api_key(organisation, name="victim key")
    mv_option = MultivariateFeatureOptionFactory(feature=feature, default_percentage_allocation=0)
    tag = TagFactory(project=project)
    default_state = FeatureState.objects.get(
        feature=feature, environment=environment, feature_segment=None, identity=None
    )
    # The fixture's own writes went through the services: there is a project-scoped entry.
    project_audit = AuditLog.objects.filter(project_id=project.id).first()
    # A second environment of the project with feature versions: a live one, a draft
    # with a segment override, and a scheduled change.
    versioned_environment = EnvironmentFactory(project=project, name="Versioned")
    create_feature_states_for_environment(versioned_environment)
    versioned_environment = versioning_services.enable_v2_versioning(versioned_environment, admin_user)
    live_version = versioning_services.live_version(versioned_environment.pk, feature.pk)
    draft_version = versioning_services.create_version(versioned_environment, feature, admin_user)
    draft_state = draft_version.feature_states.get(segment=None)
    guarded_environment = EnvironmentFactory(project=project, name="Guarded")
    create_feature_states_for_environment(guarded_environment)
    guarded_environment = versioning_services.enable_v2_versioning(guarded_environment, admin_user)
    Environment.objects.filter(pk=guarded_environment.pk).update(minimum_change_request_approvals=0)
    guarded_environment.refresh_from_db()
    guarded_draft = versioning_services.create_version(guarded_environment, feature2, admin_user)
    change_request_author = MembershipFactory(organisation=organisation).user
    change_request = change_requests.create_change_request(
        guarded_environment,
        change_request_author,
        title="Proposed",
        description=None,
        versions_to_publish=[versioning_services.create_version(guarded_environment, feature, admin_user)],
        approvers=[],
        groups=[],
    )
    draft_override_state = versioning_services.save_draft_state(
        draft_version, StateData(SegmentFactory(project=project).pk, None, True, "unicode", "x", {})
    )
    return {
        "organisation": organisation.id,
        "grantee": grantee.id,
        "grantee2": grantee2.id,
        "group": group.id,
        "group2": group2.id,
        "group_member": group_member.id,
        "invite": InviteFactory(organisation=organisation).id,
        "invite_link": InviteLinkFactory(organisation=organisation).id,
        "api_key_prefix": api_key.prefix,
        "org_user_grant": grant(grantee2, organisation, [CREATE_PROJECT]).id,
        "org_group_grant": grant(group, organisation, [CREATE_PROJECT]).id,
        "project": project.id,
        "project_user_grant": grant(grantee2, project, [VIEW_PROJECT]).id,
        "project_group_grant": grant(group, project, [VIEW_PROJECT]).id,
        "project_audit": project_audit.id,
        "environment": environment.api_key,
        "environment_id": environment.id,
        "env_user_grant": grant(grantee2, environment, [VIEW_ENVIRONMENT]).id,
        "env_group_grant": grant(group, environment, [VIEW_ENVIRONMENT]).id,
        "server_key": create_server_key(environment=environment, name="backend").id,
        "feature": feature.id,
        "feature2": feature2.id,
        "mv_option": mv_option.id,
        "mv_option_uuid": mv_option.uuid,
        "feature_state": default_state.id,
        "feature_state_uuid": default_state.uuid,
        "feature_uuid": feature.uuid,
        "segment_uuid": segment.uuid,
        "feature_segment_uuid": override_state.feature_segment.uuid,
        "organisation_uuid": organisation.uuid,
        "project_uuid": project.uuid,
        "environment_uuid": environment.uuid,
        "tag_uuid": tag.uuid,
        "segment": segment.id,
        "feature_segment": override_state.feature_segment_id,
        "override_state": override_state.id,
        "identity": identity.id,
        "identity2": identity2.id,
        "trait": TraitFactory(identity=identity, trait_key="plan").id,
        "identity_override": identity_override.id,
        "tag": tag.id,
        "env_webhook": EnvironmentWebhook.objects.create(environment=environment, url="http://127.0.0.1:9/").id,
        "org_webhook": OrganisationWebhook.objects.create(organisation=organisation, url="http://127.0.0.1:9/").id,
        "versioned_environment": versioned_environment.api_key,
        "versioned_environment_id": versioned_environment.id,
        "live_version_uuid": live_version.uuid,
        "draft_version_uuid": draft_version.uuid,
        "draft_state": draft_state.id,
        "draft_override_state": draft_override_state.id,
        "guarded_environment": guarded_environment.api_key,
        "guarded_draft_uuid": guarded_draft.uuid,
        "change_request": change_request.id,
    }


def _environments(project: Project, environment: Environment) -> list[Environment]:
    """The environment a row's grants are on, and the project's versioned one beside it."""
    return [environment, *Environment.objects.filter(project=project, use_v2_feature_versioning=True)]


def _grant_row(grantee: Any, row: Row, organisation: Organisation, project: Project, environment: Environment) -> None:
    """Visibility (unless the row's key is the visibility itself) plus the row's key."""
    project_keys = [] if row.key == VIEW_PROJECT else [VIEW_PROJECT]
    environment_keys = [] if row.key == VIEW_ENVIRONMENT else [VIEW_ENVIRONMENT]
    organisation_keys: list[str] = []
    project_admin = environment_admin = False
    if row.key not in (None, MEMBER):
        if row.scope == ORG and row.key != ADMIN:
            organisation_keys.append(row.key)
        elif row.scope == PROJECT:
            project_admin = row.key == ADMIN
            project_keys += [] if project_admin else [row.key]
        elif row.scope == ENV:
            environment_admin = row.key == ADMIN
            environment_keys += [] if environment_admin else [row.key]
    grant(grantee, project, project_keys, admin=project_admin)
    for each in _environments(project, environment):
        grant(grantee, each, environment_keys, admin=environment_admin)
    if organisation_keys:
        grant(grantee, organisation, organisation_keys)


def _clients(row: Row, organisation, project, environment, admin_user, outsider_user) -> dict[str, APIClient]:
    clients = {persona: APIClient() for persona in PERSONAS}
    without = MembershipFactory(organisation=organisation).user
    _grant_row_base(without, project, environment, row)
    role = OrganisationRole.ADMIN if (row.scope == ORG and row.key == ADMIN) else OrganisationRole.USER
    with_user = MembershipFactory(organisation=organisation, role=role).user
    _grant_row(with_user, row, organisation, project, environment)
    group_user = MembershipFactory(organisation=organisation).user
    group = UserPermissionGroupFactory(organisation=organisation, name="matrix")
    add_to_group(group, group_user)
    _grant_row(group, row, organisation, project, environment)
    _, key = make_api_key(organisation, name="matrix key", is_admin=True)
    clients["outsider"].force_authenticate(outsider_user)
    clients["without"].force_authenticate(without)
    clients["with"].force_authenticate(with_user)
    clients["group"].force_authenticate(group_user)
    clients["admin"].force_authenticate(admin_user)
    clients["api_key"].credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return clients


def _grant_row_base(user: Any, project: Project, environment: Environment, row: Row) -> None:
    """The ``without`` persona: visibility only (never the row's own key)."""
    if row.key != VIEW_PROJECT:
        grant(user, project, [VIEW_PROJECT])
    if row.key != VIEW_ENVIRONMENT:
        for each in _environments(project, environment):
            grant(user, each, [VIEW_ENVIRONMENT])


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_matrix__each_persona_gets_its_status(
    row, victim, organisation, project, environment, admin_user, outsider_user
):
    clients = _clients(row, organisation, project, environment, admin_user, outsider_user)
    path, body = _fill(row.path, victim), _fill(row.body, victim)

    got: dict[str, int] = {}
    bodies: dict[str, str] = {}
    for persona, client in clients.items():
        # Every persona meets the same data: each request is rolled back.
        with transaction.atomic():
            response = getattr(client, row.method)(path, body, format="json")
            transaction.set_rollback(True)
        got[persona] = response.status_code
        bodies[persona] = response.content.decode()[:300]
        if persona == "outsider" and response.status_code == 404:
            assert "Acme" not in response.content.decode()

    wanted = {persona: expected_status(row, persona) for persona in PERSONAS}
    assert got == wanted, {persona: bodies[persona] for persona in PERSONAS if got[persona] != wanted[persona]}


def _admin_routes() -> set[tuple[str, str]]:
    """(method, route name) of every admin endpoint the URL resolver knows."""

    def walk(patterns: list[Any]) -> Any:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern

    routes = set()
    for pattern in walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "cls", None)
        if view_class is None or pattern.name in NOT_ADMIN_ENDPOINTS:
            continue
        if not (view_class.__module__.startswith(ADMIN_VIEW_MODULES) or pattern.name in ADMIN_VIEWS_ELSEWHERE):
            continue
        actions = getattr(pattern.callback, "actions", None)
        methods = actions or {m: m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)}
        # HEAD is GET without a body: the GET row covers it.
        routes |= {(method, pattern.name) for method in methods if method != "head"}
    return routes


def test_matrix__covers_every_admin_endpoint():
    covered = {(row.method, resolve(row.path.split("?")[0].format_map(_AnyId())).url_name) for row in ROWS}

    missing = _admin_routes() - covered

    assert not missing, f"Add these endpoints to ROWS in {__name__}: {sorted(missing)}"


class _AnyId(dict):
    """Fills every placeholder with a plausible id, to resolve a row's path."""

    def __missing__(self, key: str) -> str:
        if key.endswith("_uuid"):
            return "00000000-0000-0000-0000-000000000000"
        return "abc123" if key in ("environment", "api_key_prefix") else "1"
