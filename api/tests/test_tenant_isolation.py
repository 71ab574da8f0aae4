"""A user of one organisation finds nothing of another, even by guessing ids or keys.

Every admin endpoint that addresses an object of organisation A is called by an
admin of organisation B: each answer must be 404 and must not echo A's data.
Anonymous callers get 401 everywhere. Add new endpoints to ``ENDPOINTS``.
"""

from __future__ import annotations

import pytest

from environments.models import Environment, EnvironmentAPIKey
from environments.services import create_server_key
from environments.tests.factories import EnvironmentFactory
from features.models import Feature, FeatureSegment, FeatureState, FeatureStateValue, Tag
from features.services import create_feature, create_feature_states_for_environment, create_segment_override
from features.tests.factories import MultivariateFeatureOptionFactory, TagFactory
from identities.models import Identity, Trait
from identities.services import create_identity_override
from identities.tests.factories import IdentityFactory, TraitFactory
from organisations.models import Invite, InviteLink, Organisation, UserOrganisation
from organisations.tests.factories import InviteFactory, InviteLinkFactory
from permissions.tests.factories import UserPermissionGroupFactory
from projects.models import Project
from segments.models import Segment
from segments.tests.factories import SegmentFactory
from versioning import change_requests
from versioning import services as versioning_services
from versioning.models import ChangeRequest, ChangeRequestApproval, EnvironmentFeatureVersion, VersionFeatureState
from webhooks.models import EnvironmentWebhook, OrganisationWebhook

pytestmark = pytest.mark.django_db

# (method, path template, body). Placeholders come from the ``victim`` fixture.
ENDPOINTS = [
    ("get", "/api/v1/organisations/{organisation}/", None),
    ("patch", "/api/v1/organisations/{organisation}/", {"name": "pwned"}),
    ("put", "/api/v1/organisations/{organisation}/", {"name": "pwned"}),
    ("delete", "/api/v1/organisations/{organisation}/", None),
    ("get", "/api/v1/organisations/{organisation}/projects/", None),
    ("post", "/api/v1/organisations/{organisation}/remove-users/", [{"id": "{member}"}]),
    ("get", "/api/v1/organisations/{organisation}/users/", None),
    ("post", "/api/v1/organisations/{organisation}/users/{member}/update-role/", {"role": "USER"}),
    ("get", "/api/v1/organisations/{organisation}/invites/", None),
    ("post", "/api/v1/organisations/{organisation}/invites/", {"email": "spy@example.com"}),
    ("get", "/api/v1/organisations/{organisation}/invites/{invite}/", None),
    ("delete", "/api/v1/organisations/{organisation}/invites/{invite}/", None),
    ("post", "/api/v1/organisations/{organisation}/invites/{invite}/resend/", None),
    ("get", "/api/v1/organisations/{organisation}/invite-links/", None),
    ("post", "/api/v1/organisations/{organisation}/invite-links/", {"role": "ADMIN"}),
    ("delete", "/api/v1/organisations/{organisation}/invite-links/{invite_link}/", None),
    ("get", "/api/v1/projects/{project}/", None),
    ("patch", "/api/v1/projects/{project}/", {"name": "pwned"}),
    ("put", "/api/v1/projects/{project}/", {"name": "pwned", "organisation": "{organisation}"}),
    ("delete", "/api/v1/projects/{project}/", None),
    ("get", "/api/v1/projects/{project}/environments/", None),
    ("get", "/api/v1/environments/{environment}/", None),
    ("patch", "/api/v1/environments/{environment}/", {"name": "pwned"}),
    ("put", "/api/v1/environments/{environment}/", {"name": "pwned", "project": "{project}"}),
    ("delete", "/api/v1/environments/{environment}/", None),
    ("get", "/api/v1/environments/{environment}/api-keys/", None),
    ("post", "/api/v1/environments/{environment}/api-keys/", {"name": "stolen"}),
    ("get", "/api/v1/environments/{environment}/api-keys/{server_key}/", None),
    ("patch", "/api/v1/environments/{environment}/api-keys/{server_key}/", {"active": False}),
    ("delete", "/api/v1/environments/{environment}/api-keys/{server_key}/", None),
    ("get", "/api/v1/projects/{project}/features/", None),
    ("post", "/api/v1/projects/{project}/features/", {"name": "spy_feature"}),
    ("get", "/api/v1/projects/{project}/features/{feature}/", None),
    ("patch", "/api/v1/projects/{project}/features/{feature}/", {"description": "pwned"}),
    ("delete", "/api/v1/projects/{project}/features/{feature}/", None),
    ("get", "/api/v1/projects/{project}/features/{feature}/mv-options/", None),
    ("post", "/api/v1/projects/{project}/features/{feature}/mv-options/", {"type": "unicode", "string_value": "x"}),
    ("delete", "/api/v1/projects/{project}/features/{feature}/mv-options/{mv_option}/", None),
    ("get", "/api/v1/environments/{environment}/featurestates/", None),
    ("get", "/api/v1/environments/{environment}/featurestates/{feature_state}/", None),
    ("patch", "/api/v1/environments/{environment}/featurestates/{feature_state}/", {"enabled": True}),
    ("get", "/api/v1/projects/{project}/segments/", None),
    ("post", "/api/v1/projects/{project}/segments/", {"name": "spy", "project": "{project}", "rules": []}),
    ("get", "/api/v1/projects/{project}/segments/{segment}/", None),
    ("patch", "/api/v1/projects/{project}/segments/{segment}/", {"name": "pwned"}),
    ("delete", "/api/v1/projects/{project}/segments/{segment}/", None),
    ("post", "/api/v1/projects/{project}/segments/{segment}/clone/", {"name": "spy copy"}),
    ("get", "/api/v1/projects/{project}/tags/", None),
    ("post", "/api/v1/projects/{project}/tags/", {"label": "spy"}),
    ("get", "/api/v1/projects/{project}/tags/{tag}/", None),
    ("patch", "/api/v1/projects/{project}/tags/{tag}/", {"label": "pwned"}),
    ("put", "/api/v1/projects/{project}/tags/{tag}/", {"label": "pwned"}),
    ("delete", "/api/v1/projects/{project}/tags/{tag}/", None),
    ("post", "/api/v1/projects/{project}/features/{feature}/add-owners/", {"user_ids": ["{member}"]}),
    ("post", "/api/v1/projects/{project}/features/{feature}/remove-owners/", {"user_ids": ["{member}"]}),
    ("post", "/api/v1/environments/{environment}/clone/", {"name": "stolen"}),
    ("get", "/api/v1/environments/{environment}/document/", None),
    ("get", "/api/v1/environments/{environment}/unleash/", None),
]

ENDPOINTS += [
    ("get", "/api/v1/features/feature-segments/?environment={environment_id}&feature={feature}", None),
    (
        "post",
        "/api/v1/features/feature-segments/",
        {"feature": "{feature}", "segment": "{segment}", "environment": "{environment_id}"},
    ),
    ("get", "/api/v1/features/feature-segments/{feature_segment}/", None),
    ("patch", "/api/v1/features/feature-segments/{feature_segment}/", {"priority": 0}),
    ("put", "/api/v1/features/feature-segments/{feature_segment}/", {"priority": 0}),
    ("delete", "/api/v1/features/feature-segments/{feature_segment}/", None),
    ("post", "/api/v1/features/feature-segments/update-priorities/", [{"id": "{feature_segment}", "priority": 0}]),
    (
        "post",
        "/api/v1/environments/{environment}/features/{feature}/create-segment-override/",
        {"feature_segment": {"segment": "{segment}"}, "enabled": True},
    ),
    ("get", "/api/v1/environments/{environment}/featurestates/?feature_segment={feature_segment}", None),
    ("patch", "/api/v1/environments/{environment}/featurestates/{override_state}/", {"enabled": True}),
    ("get", "/api/v1/environments/{environment}/identities/", None),
    ("post", "/api/v1/environments/{environment}/identities/", {"identifier": "spy"}),
    ("get", "/api/v1/environments/{environment}/identities/{identity}/", None),
    ("patch", "/api/v1/environments/{environment}/identities/{identity}/", {"dashboard_alias": "pwned"}),
    ("delete", "/api/v1/environments/{environment}/identities/{identity}/", None),
    ("get", "/api/v1/environments/{environment}/identities/{identity}/traits/", None),
    ("post", "/api/v1/environments/{environment}/identities/{identity}/traits/", {"trait_key": "a", "trait_value": 1}),
    ("get", "/api/v1/environments/{environment}/identities/{identity}/traits/{trait}/", None),
    ("patch", "/api/v1/environments/{environment}/identities/{identity}/traits/{trait}/", {"trait_value": 2}),
    ("delete", "/api/v1/environments/{environment}/identities/{identity}/traits/{trait}/", None),
    (
        "delete",
        "/api/v1/environments/{environment}/identities/{identity}/traits/{trait}/?deleteAllMatchingTraits=true",
        None,
    ),
    ("get", "/api/v1/environments/{environment}/trait-keys/", None),
    ("post", "/api/v1/environments/{environment}/delete-traits/", {"key": "plan"}),
    ("get", "/api/v1/environments/{environment}/identities/{identity}/featurestates/", None),
    ("post", "/api/v1/environments/{environment}/identities/{identity}/featurestates/", {"feature": "{feature}"}),
    ("get", "/api/v1/environments/{environment}/identities/{identity}/featurestates/{identity_override}/", None),
    (
        "patch",
        "/api/v1/environments/{environment}/identities/{identity}/featurestates/{identity_override}/",
        {"enabled": False},
    ),
    ("delete", "/api/v1/environments/{environment}/identities/{identity}/featurestates/{identity_override}/", None),
    (
        "post",
        "/api/v1/environments/{environment}/identities/{identity}/featurestates/clone-from-given-identity/",
        {"source_identity_id": "{identity}"},
    ),
    ("get", "/api/v1/projects/{project}/features/{feature}/evaluation-data/?environment_id={environment_id}", None),
    ("get", "/api/v1/environments/{environment}/webhooks/", None),
    ("post", "/api/v1/environments/{environment}/webhooks/", {"url": "http://127.0.0.1:9/spy"}),
    ("get", "/api/v1/environments/{environment}/webhooks/{env_webhook}/", None),
    ("patch", "/api/v1/environments/{environment}/webhooks/{env_webhook}/", {"url": "http://127.0.0.1:9/spy"}),
    ("delete", "/api/v1/environments/{environment}/webhooks/{env_webhook}/", None),
    ("get", "/api/v1/organisations/{organisation}/webhooks/", None),
    ("post", "/api/v1/organisations/{organisation}/webhooks/", {"url": "http://127.0.0.1:9/spy"}),
    ("get", "/api/v1/organisations/{organisation}/webhooks/{org_webhook}/", None),
    ("patch", "/api/v1/organisations/{organisation}/webhooks/{org_webhook}/", {"url": "http://127.0.0.1:9/spy"}),
    ("delete", "/api/v1/organisations/{organisation}/webhooks/{org_webhook}/", None),
    (
        "post",
        "/api/v1/webhooks/test/",
        {"webhook_url": "http://127.0.0.1:9/", "scope": {"type": "environment", "id": "{environment}"}},
    ),
    (
        "post",
        "/api/v1/webhooks/test/",
        {"webhook_url": "http://127.0.0.1:9/", "scope": {"type": "organisation", "id": "{organisation}"}},
    ),
]

# What Flagsmith's dashboard reads besides: plan limits, usage, a feature list in an environment.
ENDPOINTS += [
    ("get", "/api/v1/organisations/{organisation}/get-subscription-metadata/", None),
    ("get", "/api/v1/organisations/{organisation}/usage-data/", None),
    ("get", "/api/v1/organisations/{organisation}/usage-data/total-count/", None),
    ("get", "/api/v1/organisations/{organisation}/integrations/github/", None),
    ("post", "/api/v1/organisations/{organisation}/invite/", {"emails": ["spy@example.com"]}),
    ("get", "/api/v1/organisations/{organisation}/metadata-model-fields/", None),
    ("get", "/api/v1/projects/{project}/feature-imports/", None),
    ("get", "/api/v1/projects/{project}/feature-health/events/", None),
    ("get", "/api/v1/projects/{project}/integrations/datadog/", None),
    ("get", "/api/v1/environments/{environment}/metrics/", None),
    ("get", "/api/v1/environments/{environment}/integrations/slack/", None),
]

# Flagsmith's uuid lookups and id-addressed feature states (its Terraform provider's routes).
ENDPOINTS += [
    ("get", "/api/v1/organisations/get-by-uuid/{organisation_uuid}/", None),
    ("get", "/api/v1/projects/get-by-uuid/{project_uuid}/", None),
    ("get", "/api/v1/environments/get-by-uuid/{environment_uuid}/", None),
    ("get", "/api/v1/features/get-by-uuid/{feature_uuid}/", None),
    ("get", "/api/v1/features/featurestates/get-by-uuid/{feature_state_uuid}/", None),
    ("get", "/api/v1/features/featurestates/get-by-uuid/{override_state_uuid}/", None),
    ("get", "/api/v1/features/feature-segments/get-by-uuid/{feature_segment_uuid}/", None),
    ("get", "/api/v1/multivariate/options/get-by-uuid/{mv_option_uuid}/", None),
    ("get", "/api/v1/segments/get-by-uuid/{segment_uuid}/", None),
    ("get", "/api/v1/projects/{project}/tags/get-by-uuid/{tag_uuid}/", None),
    ("get", "/api/v1/features/featurestates/?environment={environment_id}", None),
    ("get", "/api/v1/features/featurestates/{feature_state}/", None),
    (
        "put",
        "/api/v1/features/featurestates/{feature_state}/",
        {"feature": "{feature}", "environment": "{environment_id}"},
    ),
    ("patch", "/api/v1/features/featurestates/{override_state}/", {"enabled": True}),
    (
        "post",
        "/api/v1/features/featurestates/",
        {"feature": "{feature}", "environment": "{environment_id}", "feature_segment": "{feature_segment}"},
    ),
    ("post", "/api/v1/projects/{project}/features/{feature}/add-group-owners/", {"group_ids": ["{group}"]}),
    ("post", "/api/v1/projects/{project}/features/{feature}/remove-group-owners/", {"group_ids": ["{group}"]}),
]

# Feature versions, in a versioned environment of organisation A.
_VERSIONS = "/api/v1/environments/{versioned_environment_id}/features/{feature}/versions"
ENDPOINTS += [
    ("post", "/api/v1/environments/{environment}/enable-v2-versioning/", None),
    ("post", "/api/v1/environments/{versioned_environment}/disable-v2-versioning/", None),
    ("get", "/api/v1/environments/{versioned_environment}/scheduled-changes/", None),
    ("get", f"{_VERSIONS}/", None),
    ("post", f"{_VERSIONS}/", {"description": "spy"}),
    ("get", f"{_VERSIONS}/{{live_version_uuid}}/", None),
    ("delete", f"{_VERSIONS}/{{draft_version_uuid}}/", None),
    ("post", f"{_VERSIONS}/{{draft_version_uuid}}/publish/", {}),
    ("post", f"{_VERSIONS}/{{live_version_uuid}}/restore/", {}),
    ("get", f"{_VERSIONS}/{{live_version_uuid}}/diff/", None),
    ("get", f"{_VERSIONS}/{{draft_version_uuid}}/featurestates/", None),
    (
        "post",
        f"{_VERSIONS}/{{draft_version_uuid}}/featurestates/",
        {"feature_segment": {"segment": "{segment}"}, "enabled": True},
    ),
    ("get", f"{_VERSIONS}/{{draft_version_uuid}}/featurestates/{{draft_state}}/", None),
    ("patch", f"{_VERSIONS}/{{draft_version_uuid}}/featurestates/{{draft_state}}/", {"enabled": False}),
    ("delete", f"{_VERSIONS}/{{draft_version_uuid}}/featurestates/{{draft_state}}/", None),
    ("get", "/api/v1/environment-feature-versions/{live_version_uuid}/", None),
    (
        "post",
        "/api/v1/environments/{versioned_environment}/create-change-request/",
        {"title": "spy", "environment_feature_versions": ["{draft_version_uuid}"]},
    ),
    ("get", "/api/v1/environments/{versioned_environment}/list-change-requests/", None),
    ("get", "/api/v1/features/workflows/change-requests/{change_request}/", None),
    ("patch", "/api/v1/features/workflows/change-requests/{change_request}/", {"title": "pwned"}),
    ("put", "/api/v1/features/workflows/change-requests/{change_request}/", {"title": "pwned"}),
    ("delete", "/api/v1/features/workflows/change-requests/{change_request}/", None),
    ("post", "/api/v1/features/workflows/change-requests/{change_request}/approve/", None),
    ("post", "/api/v1/features/workflows/change-requests/{change_request}/commit/", None),
]


@pytest.fixture
def victim(organisation, admin_user, member_user, project, environment):
    """Organisation A, fully populated; the outsider fixture belongs to B."""
    feature = create_feature(project=project, user=admin_user, data={"name": "secret_feature"})
    override_state = create_segment_override(
        feature=feature, segment=SegmentFactory(project=project), environment=environment, user=admin_user
    )
    identity = IdentityFactory(environment=environment)
    identity_override = create_identity_override(identity, feature, {"enabled": True}, admin_user)
    mv_option = MultivariateFeatureOptionFactory(feature=feature)
    default_state = FeatureState.objects.get(
        feature=feature, environment=environment, feature_segment=None, identity=None
    )
    segment = SegmentFactory(project=project)
    tag = TagFactory(project=project)
    group = UserPermissionGroupFactory(organisation=organisation)
    feature.group_owners.add(group)
    versioned_environment = EnvironmentFactory(project=project, name="Versioned")
    create_feature_states_for_environment(versioned_environment)
    versioned_environment = versioning_services.enable_v2_versioning(versioned_environment, admin_user)
    live_version = versioning_services.live_version(versioned_environment.pk, feature.pk)
    draft_version = versioning_services.create_version(versioned_environment, feature, admin_user)
    change_request = change_requests.create_change_request(
        versioned_environment,
        admin_user,
        title="Proposed",
        description=None,
        versions_to_publish=[versioning_services.create_version(versioned_environment, feature, admin_user)],
        approvers=[],
        groups=[],
    )
    return {
        "change_request": change_request.id,
        "versioned_environment": versioned_environment.api_key,
        "versioned_environment_id": versioned_environment.id,
        "live_version_uuid": live_version.uuid,
        "draft_version_uuid": draft_version.uuid,
        "draft_state": draft_version.feature_states.get(segment=None).id,
        "organisation": organisation.id,
        "member": member_user.id,
        "invite": InviteFactory(organisation=organisation).id,
        "invite_link": InviteLinkFactory(organisation=organisation).id,
        "project": project.id,
        "environment": environment.api_key,
        "server_key": create_server_key(environment=environment, name="backend").id,
        "feature": feature.id,
        "mv_option": mv_option.id,
        "feature_state": default_state.id,
        "segment": segment.id,
        "group": group.id,
        "organisation_uuid": organisation.uuid,
        "project_uuid": project.uuid,
        "environment_uuid": environment.uuid,
        "feature_uuid": feature.uuid,
        "feature_state_uuid": default_state.uuid,
        "override_state_uuid": override_state.uuid,
        "feature_segment_uuid": override_state.feature_segment.uuid,
        "mv_option_uuid": mv_option.uuid,
        "segment_uuid": segment.uuid,
        "tag_uuid": tag.uuid,
        "environment_id": environment.id,
        "feature_segment": override_state.feature_segment_id,
        "override_state": override_state.id,
        "identity": identity.id,
        "trait": TraitFactory(identity=identity, trait_key="plan").id,
        "identity_override": identity_override.id,
        "tag": tag.id,
        "env_webhook": EnvironmentWebhook.objects.create(environment=environment, url="http://127.0.0.1:9/a").id,
        "org_webhook": OrganisationWebhook.objects.create(organisation=organisation, url="http://127.0.0.1:9/b").id,
    }


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def _snapshot():
    return (
        list(Organisation.objects.values()),
        list(UserOrganisation.objects.values()),
        Invite.objects.count(),
        InviteLink.objects.count(),
        list(Project.objects.values()),
        list(Environment.objects.values()),
        list(EnvironmentAPIKey.objects.values()),
        list(Feature.objects.values()),
        list(FeatureState.objects.values()),
        list(Segment.objects.values()),
        list(FeatureSegment.objects.values()),
        list(Identity.objects.values()),
        list(Trait.objects.values()),
        list(Tag.objects.values()),
        list(EnvironmentWebhook.objects.values()),
        list(OrganisationWebhook.objects.values()),
        list(Feature.owners.through.objects.values()),
        list(Feature.group_owners.through.objects.values()),
        list(FeatureStateValue.objects.values()),
        list(EnvironmentFeatureVersion.objects.values()),
        list(VersionFeatureState.objects.values()),
        list(ChangeRequest.objects.values()),
        list(ChangeRequestApproval.objects.values()),
    )


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_endpoint__outsider__404_and_nothing_changes(outsider_client, victim, method, path, body):
    before = _snapshot()

    response = getattr(outsider_client, method)(_fill(path, victim), _fill(body, victim), format="json")

    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Not found."} or "Not found" in str(response.json())
    assert "Acme" not in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_endpoint__anonymous__401(anon_client, victim, method, path, body):
    response = getattr(anon_client, method)(_fill(path, victim), _fill(body, victim), format="json")

    assert response.status_code == 401


def test_lists__outsider__never_include_other_organisation(outsider_client, victim):
    organisations = outsider_client.get("/api/v1/organisations/").json()["results"]
    projects = outsider_client.get("/api/v1/projects/").json()
    environments = outsider_client.get(f"/api/v1/environments/?project={victim['project']}").json()["results"]

    assert victim["organisation"] not in [item["id"] for item in organisations]
    assert victim["project"] not in [item["id"] for item in projects]
    assert environments == []


def test_join__outsider_guessing_invite_link_ids__cannot_join(outsider_client, victim):
    response = outsider_client.post(f"/api/v1/users/join/link/{victim['invite_link']}/")

    assert response.status_code == 404
