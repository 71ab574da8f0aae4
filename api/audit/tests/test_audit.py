"""The audit log: one entry per change, from the API, the Django admin and a management command."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.test import Client

from audit.models import AuditLog
from audit.services import record
from core.admin import AuditedModelAdmin
from core.audit import Audited
from features.models import FeatureState
from features.services import create_feature
from identities.tests.factories import IdentityFactory
from organisations.tests.factories import MembershipFactory
from permissions.models import VIEW_AUDIT_LOG, VIEW_PROJECT, ProjectPermission
from permissions.tests.factories import make_api_key
from segments.tests.factories import SegmentFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def feature(project, environment, admin_user):
    return create_feature(project=project, user=admin_user, data={"name": "checkout"})


@pytest.fixture
def default_state(feature, environment):
    return FeatureState.objects.get(feature=feature, environment=environment, feature_segment=None, identity=None)


def latest(**filters) -> AuditLog:
    return AuditLog.objects.filter(**filters).order_by("-id").first()


# --- Through the API ----------------------------------------------------------------------


def test_feature_create__api__entry_with_author_project_and_fields(admin_client, admin_user, project):
    response = admin_client.post(f"/api/v1/projects/{project.id}/features/", {"name": "banner"}, format="json")

    entry = latest(related_object_type="FEATURE")
    assert response.status_code == 201
    assert (entry.action, entry.source, entry.author, entry.project_id) == ("CREATE", "API", admin_user, project.id)
    assert entry.related_object_id == response.json()["id"]
    assert entry.changes["name"] == {"old": None, "new": "banner"}


def test_feature_state_update__api__field_level_diff_with_value(admin_client, environment, default_state):
    response = admin_client.patch(
        f"/api/v1/environments/{environment.api_key}/featurestates/{default_state.id}/",
        {"enabled": True, "feature_state_value": "blue"},
        format="json",
    )

    entry = latest(related_object_type="FEATURE_STATE")
    assert response.status_code == 200
    assert entry.environment_id == environment.id
    assert entry.changes["enabled"] == {"old": False, "new": True}
    assert entry.changes["feature_state_value"] == {"old": None, "new": "blue"}


def test_feature_state_update__unchanged__no_entry(admin_client, environment, default_state):
    before = AuditLog.objects.count()

    admin_client.patch(
        f"/api/v1/environments/{environment.api_key}/featurestates/{default_state.id}/",
        {"enabled": default_state.enabled},
        format="json",
    )

    assert AuditLog.objects.count() == before


def test_feature_update_and_delete__api__entries(admin_client, project, feature):
    admin_client.patch(f"/api/v1/projects/{project.id}/features/{feature.id}/", {"description": "new"}, format="json")
    update = latest(related_object_type="FEATURE", action="UPDATE")
    admin_client.delete(f"/api/v1/projects/{project.id}/features/{feature.id}/")
    delete = latest(related_object_type="FEATURE", action="DELETE")

    assert update.changes == {"description": {"old": None, "new": "new"}}
    assert delete.related_object_id == feature.id
    assert delete.changes["name"] == {"old": "checkout", "new": None}


def test_segment_rules_change__api__diff_holds_the_rules(admin_client, project):
    created = admin_client.post(
        f"/api/v1/projects/{project.id}/segments/",
        {"name": "beta", "project": project.id, "rules": []},
        format="json",
    ).json()
    rules = [{"type": "ALL", "rules": [], "conditions": [{"operator": "EQUAL", "property": "plan", "value": "pro"}]}]

    admin_client.patch(f"/api/v1/projects/{project.id}/segments/{created['id']}/", {"rules": rules}, format="json")

    entry = latest(related_object_type="SEGMENT", action="UPDATE")
    assert entry.changes["rules"] == {"old": [], "new": [["ALL", [["plan", "EQUAL", "pro"]], []]]}


def test_segment_override__create_and_delete__entries(admin_client, environment, feature):
    segment = SegmentFactory(project=feature.project)

    created = admin_client.post(
        f"/api/v1/environments/{environment.api_key}/features/{feature.id}/create-segment-override/",
        {"feature_segment": {"segment": segment.id}, "enabled": True},
        format="json",
    )
    admin_client.delete(f"/api/v1/features/feature-segments/{created.json()['feature_segment']['id']}/")

    actions = list(
        AuditLog.objects.filter(related_object_type="SEGMENT_OVERRIDE").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["CREATE", "DELETE"]


def test_environment_project_tag_identity_override__api__each_audited(admin_client, project, environment, feature):
    admin_client.patch(f"/api/v1/environments/{environment.api_key}/", {"name": "Prod"}, format="json")
    admin_client.patch(f"/api/v1/projects/{project.id}/", {"hide_disabled_flags": True}, format="json")
    admin_client.post(f"/api/v1/projects/{project.id}/tags/", {"label": "ui", "color": "#000"}, format="json")
    identity = IdentityFactory(environment=environment)
    admin_client.post(
        f"/api/v1/environments/{environment.api_key}/identities/{identity.id}/featurestates/",
        {"feature": feature.id, "enabled": True},
        format="json",
    )

    assert latest(related_object_type="ENVIRONMENT").changes == {"name": {"old": "Production", "new": "Prod"}}
    assert latest(related_object_type="PROJECT").changes == {"hide_disabled_flags": {"old": False, "new": True}}
    assert latest(related_object_type="TAG").action == "CREATE"
    assert latest(related_object_type="FEATURE_STATE").log.startswith("Identity override created")


def test_permission_grant__api__audited_with_keys(admin_client, project, organisation):
    user = MembershipFactory(organisation=organisation).user

    admin_client.post(
        f"/api/v1/projects/{project.id}/user-permissions/",
        {"user": user.id, "permissions": [VIEW_PROJECT]},
        format="json",
    )

    entry = latest(related_object_type="PROJECT_PERMISSION")
    assert entry.changes["permissions"] == {"old": None, "new": [VIEW_PROJECT]}
    assert entry.changes["user_id"] == {"old": None, "new": user.id}


def test_change_by_api_key__entry_names_the_key_not_a_user(organisation, project):
    api_key, key = make_api_key(organisation)
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")

    client.post(f"/api/v1/projects/{project.id}/features/", {"name": "by_key"}, content_type="application/json")

    entry = latest(related_object_type="FEATURE")
    assert (entry.api_key, entry.author) == (api_key, None)


def test_failed_write__no_entry(admin_client, project, feature):
    before = AuditLog.objects.count()

    response = admin_client.post(f"/api/v1/projects/{project.id}/features/", {"name": "checkout"}, format="json")

    assert response.status_code == 400
    assert AuditLog.objects.count() == before


# --- Through the Django admin --------------------------------------------------------------


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def superuser_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def test_project_change__admin__entry_with_source_admin(superuser_client, superuser, project, organisation):
    response = superuser_client.post(
        f"/admin/projects/project/{project.id}/change/",
        {
            "name": "Web v2",
            "organisation": organisation.id,
            "only_allow_lower_case_feature_names": "on",
            "stale_flags_limit_days": 30,
            "max_segments_allowed": 500,
            "max_features_allowed": 1000,
            "max_segment_overrides_allowed": 2000,
        },
    )

    entry = latest(related_object_type="PROJECT")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert (entry.source, entry.author, entry.action) == ("ADMIN", superuser, "UPDATE")
    assert entry.changes == {"name": {"old": "Web", "new": "Web v2"}}


def test_segment_delete__admin__entry(superuser_client, project):
    segment = SegmentFactory(project=project)

    superuser_client.post(f"/admin/segments/segment/{segment.pk}/delete/", {"post": "yes"})

    entry = latest(related_object_type="SEGMENT")
    assert (entry.action, entry.source, entry.related_object_id) == ("DELETE", "ADMIN", segment.pk)


# --- Through a management command ----------------------------------------------------------


def test_set_flag__command__entry_with_source_command(environment, default_state, admin_user):
    call_command("set_flag", environment.api_key, "checkout", "--enable", "--value", "42", "--as", admin_user.email)

    entry = latest(related_object_type="FEATURE_STATE")
    assert (entry.source, entry.author, entry.is_system_event) == ("COMMAND", admin_user, False)
    assert entry.changes["enabled"] == {"old": False, "new": True}
    assert entry.changes["feature_state_value"] == {"old": None, "new": 42}


def test_set_flag__without_author__system_event(environment, default_state):
    call_command("set_flag", environment.api_key, "checkout", "--disable", "--value", "x")

    assert latest(related_object_type="FEATURE_STATE").is_system_event


def test_set_flag__unknown_feature__error_and_no_entry(environment, default_state):
    before = AuditLog.objects.count()

    with pytest.raises(CommandError, match="No feature"):
        call_command("set_flag", environment.api_key, "nope", "--enable")

    assert AuditLog.objects.count() == before


# --- Reading the log -----------------------------------------------------------------------


def test_audit_list__member_without_view_audit_log__sees_nothing(member_client, feature):
    assert member_client.get("/api/v1/audit/").json()["results"] == []


def test_project_audit__member_without_view_audit_log__403(member_client, project, feature):
    assert member_client.get(f"/api/v1/projects/{project.id}/audit/").status_code == 403


def test_project_audit__with_view_audit_log__project_entries_only(member_client, member_user, project, feature):
    ProjectPermission.objects.get(user=member_user, project=project).permissions.add(VIEW_AUDIT_LOG)

    results = member_client.get(f"/api/v1/projects/{project.id}/audit/").json()["results"]

    assert results and {item["project"] for item in results} == {project.id}
    assert results[0]["author"]["email"]


def test_audit_list__filters(admin_client, admin_user, project, environment, feature, default_state):
    admin_client.patch(
        f"/api/v1/environments/{environment.api_key}/featurestates/{default_state.id}/",
        {"enabled": True},
        format="json",
    )

    by_environment = admin_client.get("/api/v1/audit/", {"environment": environment.id}).json()["results"]
    by_type = admin_client.get("/api/v1/audit/", {"related_object_type": "feature"}).json()["results"]
    by_author = admin_client.get("/api/v1/audit/", {"author": admin_user.id}).json()["results"]
    future = admin_client.get("/api/v1/audit/", {"since": "2999-01-01T00:00:00Z"}).json()["results"]
    bad = admin_client.get("/api/v1/audit/", {"since": "yesterday"})

    assert {item["related_object_type"] for item in by_environment} == {"FEATURE_STATE"}
    assert {item["related_object_type"] for item in by_type} == {"FEATURE"}
    assert by_author and future == []
    assert bad.status_code == 400 and "since" in bad.json()


def test_organisation_audit__outsider__404(outsider_client, organisation, feature):
    assert outsider_client.get(f"/api/v1/organisations/{organisation.id}/audit/").status_code == 404


def test_audit_list__query_count__independent_of_entry_count(admin_client, project, django_assert_max_num_queries):
    for index in range(20):
        create_feature(project=project, user=None, data={"name": f"flag_{index}"})

    with django_assert_max_num_queries(6):
        response = admin_client.get("/api/v1/audit/", {"page_size": 50})

    assert response.json()["count"] >= 20


# --- What each model declares ---------------------------------------------------------------

# The types entries are filtered by (``related_object_type``), as the API has always named them.
OBJECT_TYPES = {
    "organisations.Organisation": "ORGANISATION",
    "organisations.UserOrganisation": "MEMBERSHIP",
    "organisations.UserPermissionGroup": "USER_GROUP",
    "organisations.UserPermissionGroupMembership": "USER_PERMISSION_GROUP_MEMBERSHIP",
    "organisations.OrganisationAPIKey": "ORGANISATION_API_KEY",
    "permissions.OrganisationPermission": "ORGANISATION_PERMISSION",
    "permissions.ProjectPermission": "PROJECT_PERMISSION",
    "permissions.EnvironmentPermission": "ENVIRONMENT_PERMISSION",
    "projects.Project": "PROJECT",
    "environments.Environment": "ENVIRONMENT",
    "environments.EnvironmentAPIKey": "SERVER_KEY",
    "identities.Identity": "IDENTITY",
    "identities.Trait": "TRAIT",
    "segments.Segment": "SEGMENT",
    "features.Tag": "TAG",
    "features.Feature": "FEATURE",
    "features.FeatureSegment": "SEGMENT_OVERRIDE",
    "features.FeatureState": "FEATURE_STATE",
    "features.FeatureStateValue": "FEATURE_STATE_VALUE",
    "features.MultivariateFeatureOption": "MULTIVARIATE_OPTION",
    "features.MultivariateFeatureStateValue": "MULTIVARIATE_FEATURE_STATE_VALUE",
    "webhooks.EnvironmentWebhook": "ENVIRONMENT_WEBHOOK",
    "webhooks.OrganisationWebhook": "ORGANISATION_WEBHOOK",
    # Flagsmith's RelatedObjectType.EF_VERSION (audit/related_object_type.py).
    "versioning.EnvironmentFeatureVersion": "EF_VERSION",
    "versioning.ChangeRequest": "CHANGE_REQUEST",  # Flagsmith's RelatedObjectType.CHANGE_REQUEST
}


def test_audited_models__object_types__declared_by_each_model():
    declared = {model._meta.label: model.audit_object_type for model in apps.get_models() if issubclass(model, Audited)}

    assert declared == OBJECT_TYPES


def test_audited_model_admins__every_page_and_inline__of_an_audited_model():
    audited_pages = [
        model_admin for model_admin in admin.site._registry.values() if isinstance(model_admin, AuditedModelAdmin)
    ]
    models = {page.model for page in audited_pages} | {
        inline.model for page in audited_pages for inline in page.inlines
    }

    assert [model._meta.label for model in models if not issubclass(model, Audited)] == []


def test_record__model_not_audited__refused(admin_user):
    with pytest.raises(TypeError, match="not an audited model"):
        record(actor=admin_user, action="CREATE", instance=admin_user)


def test_audit_scope__feature_state__its_environment_project_and_organisation(default_state, environment):
    assert tuple(default_state.audit_scope()) == (
        environment.project.organisation_id,
        environment.project_id,
        environment.pk,
    )
