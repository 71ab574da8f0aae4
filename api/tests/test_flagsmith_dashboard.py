"""What Flagsmith's own dashboard (release 2.265, frontend/) reads from the API, through the API.

Each test names the dashboard code that reads the fields it checks: their names, JSON
types and the values that decide what the dashboard shows. docs/compatibility.md,
"Flagsmith's web dashboard", lists the same endpoints and values.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from environments.tests.factories import EnvironmentFactory
from features.models import Feature
from features.services import create_segment_override
from identities.services import create_identity_override
from identities.tests.factories import IdentityFactory
from organisations.models import Invite, OrganisationRole
from organisations.tests.factories import MembershipFactory, OrganisationFactory
from permissions.models import (
    CREATE_ENVIRONMENT,
    CREATE_PROJECT,
    VIEW_ENVIRONMENT,
    VIEW_PROJECT,
    EnvironmentPermission,
)
from permissions.tests.factories import UserPermissionGroupFactory, grant, make_api_key
from projects.tests.factories import ProjectFactory
from segments.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
NULLABLE_INT = (int, type(None))
SMALL_STATE_FIELDS = {"id", "feature_state_value", "environment", "identity", "feature_segment", "enabled"}


def features_url(project, **query) -> str:
    params = "&".join(f"{key}={value}" for key, value in query.items())
    return f"{V1}/projects/{project.id}/features/" + (f"?{params}" if params else "")


def create_feature(client, project, **body) -> dict:
    response = client.post(features_url(project), {"name": "flag", **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def listed(client, project, **query) -> list[dict]:
    response = client.get(features_url(project, **query))
    assert response.status_code == 200, response.json()
    return response.json()["results"]


# --- Organisations: subscription, seats (AccountStore.getActiveOrgPlan, Utils.getPlanName) -------------------


def test_organisation__subscription__enterprise_plan_without_limits_or_billing(admin_client, organisation):
    body = admin_client.get(f"{V1}/organisations/{organisation.id}/").json()

    subscription = body["subscription"]
    # Utils.getPlanName: a plan id containing "enterprise" is Enterprise, which unlocks every
    # paid feature on an installation that is not SaaS (getRequiredPlan answers "enterprise").
    assert subscription["plan"] == "enterprise"
    assert subscription["max_seats"] is None
    assert subscription["max_api_calls"] is None
    # ButterBar.tsx: no billing status, no dunning banner; usePaymentState: no paid subscription.
    assert subscription["billing_status"] is None
    assert subscription["payment_method"] is None
    assert subscription["subscription_id"] is None
    assert subscription["cancellation_date"] is None
    assert subscription["has_active_billing_periods"] is False
    assert subscription["id"] == organisation.id
    assert set(subscription) == {
        "id",
        "uuid",
        "subscription_id",
        "subscription_date",
        "plan",
        "max_seats",
        "max_api_calls",
        "cancellation_date",
        "customer_id",
        "billing_status",
        "payment_method",
        "notes",
        "deleted_at",
        "has_active_billing_periods",
    }


def test_organisation__num_seats__counts_members_in_list_and_detail(admin_client, organisation, member_user):
    MembershipFactory(organisation=OrganisationFactory())  # someone else's member: not counted

    listed_organisations = admin_client.get(f"{V1}/organisations/").json()["results"]
    detail = admin_client.get(f"{V1}/organisations/{organisation.id}/").json()

    assert [item["num_seats"] for item in listed_organisations] == [2]
    assert detail["num_seats"] == 2


def test_organisation__subscription_and_seats_read_only(admin_client, organisation):
    response = admin_client.patch(
        f"{V1}/organisations/{organisation.id}/",
        {"num_seats": 99, "subscription": {"plan": "free", "max_seats": 1}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["num_seats"] == 1
    assert response.json()["subscription"]["plan"] == "enterprise"


def test_organisation_list__query_count_does_not_grow_with_organisations(
    admin_user, api_client_for, django_assert_max_num_queries
):
    for _ in range(5):
        MembershipFactory(user=admin_user, role=OrganisationRole.ADMIN)
    client = api_client_for(admin_user)

    with django_assert_max_num_queries(8):
        response = client.get(f"{V1}/organisations/")

    assert response.json()["count"] == 6


def test_subscription_metadata__admin__every_limit_null(admin_client, organisation):
    response = admin_client.get(f"{V1}/organisations/{organisation.id}/get-subscription-metadata/")

    # BillingTab.tsx shows null as "Unlimited"; AuditLog.tsx limits nothing for null days.
    assert response.status_code == 200
    assert response.json() == {
        "max_seats": None,
        "max_api_calls": None,
        "max_projects": None,
        "payment_source": None,
        "chargebee_email": None,
        "feature_history_visibility_days": None,
        "audit_log_visibility_days": None,
    }


@pytest.mark.parametrize(
    "path", ["get-subscription-metadata/", "usage-data/", "usage-data/total-count/"], ids=lambda path: path
)
def test_billing_probes__plain_member__403_as_flagsmith(member_client, organisation, path):
    assert member_client.get(f"{V1}/organisations/{organisation.id}/{path}").status_code == 403


def test_usage_data__admin__no_days_and_zero_total(admin_client, organisation):
    # useOrganisationUsage.ts sums flags/identities/traits/environment_document over the days.
    days = admin_client.get(f"{V1}/organisations/{organisation.id}/usage-data/?period=current_billing_period")
    total = admin_client.get(f"{V1}/organisations/{organisation.id}/usage-data/total-count/")

    assert (days.status_code, days.json()) == (200, [])
    assert (total.status_code, total.json()) == (200, {"count": 0})


def test_invite__as_the_dashboard_sends_it__201_with_the_invites(admin_client, organisation):
    # useInvites.ts createUserInvite: several invites at once, with the dashboard's own base URL.
    body = {
        "frontend_base_url": "http://dashboard.example/email-invite/",
        "invites": [
            {"email": "ann@example.com", "role": "ADMIN", "permission_groups": []},
            {"email": "bob@example.com", "role": "USER"},
        ],
    }

    response = admin_client.post(f"{V1}/organisations/{organisation.id}/invite/", body, format="json")

    assert response.status_code == 201, response.json()
    invites = response.json()["invites"]
    assert [(item["email"], item["role"]) for item in invites] == [
        ("ann@example.com", "ADMIN"),
        ("bob@example.com", "USER"),
    ]
    assert all(isinstance(item["id"], int) and item["date_created"] for item in invites)
    listed_emails = [
        item["email"] for item in admin_client.get(f"{V1}/organisations/{organisation.id}/invites/").json()["results"]
    ]
    assert sorted(listed_emails) == ["ann@example.com", "bob@example.com"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"invites": []},
        {"invites": [{"email": "not-an-email"}]},
        {"invites": [{"email": "a@example.com", "role": "OWNER"}]},
        {"invites": [{"email": "a@example.com", "permission_groups": [1]}]},
    ],
)
def test_invite__bad_body__400_and_nothing_written(admin_client, organisation, body):
    response = admin_client.post(f"{V1}/organisations/{organisation.id}/invite/", body, format="json")

    assert response.status_code == 400
    assert not Invite.objects.exists()


@pytest.mark.parametrize(("action", "expected"), [("make-admin", True), ("remove-admin", False)])
def test_group_admin__without_trailing_slash__as_the_dashboard_calls_it(
    admin_client, organisation, member_user, action, expected
):
    group = admin_client.post(f"{V1}/organisations/{organisation.id}/groups/", {"name": "ops"}, format="json").json()
    base = f"{V1}/organisations/{organisation.id}/groups/{group['id']}"
    admin_client.post(f"{base}/add-users/", {"user_ids": [member_user.id]}, format="json")
    if not expected:
        admin_client.post(f"{base}/users/{member_user.id}/make-admin/")

    response = admin_client.post(f"{base}/users/{member_user.id}/{action}")

    assert response.status_code == 200, response.content
    assert [user["group_admin"] for user in response.json()["users"]] == [expected]


def test_group_admin__without_trailing_slash__outsider_404(outsider_client, organisation, member_user):
    group = UserPermissionGroupFactory(organisation=organisation)

    response = outsider_client.post(
        f"{V1}/organisations/{organisation.id}/groups/{group.id}/users/{member_user.id}/make-admin"
    )

    assert response.status_code == 404


# --- The features list in an environment (feature-list-store.js getFeatures, featureFilterParams.ts) ------


def test_feature_list__with_environment__each_feature_carries_its_state(admin_client, project, environment):
    feature = create_feature(admin_client, project, name="banner", initial_value="blue", default_enabled=True)

    [item] = listed(admin_client, project, environment=environment.id)

    state = item["environment_feature_state"]
    assert set(state) == SMALL_STATE_FIELDS
    assert isinstance(state["id"], int)
    assert state["feature_state_value"] == "blue"
    assert state["enabled"] is True
    assert state["environment"] == environment.id
    assert state["identity"] is None
    assert state["feature_segment"] is None
    assert item["id"] == feature["id"]
    assert item["segment_feature_state"] is None
    assert item["num_segment_overrides"] == 0
    assert item["num_identity_overrides"] == 0
    assert item["is_num_identity_overrides_complete"] is True
    assert item["last_modified_in_any_environment"] is None
    assert item["last_modified_in_current_environment"] is None


def test_feature_list__state_id__is_the_one_the_toggle_writes(admin_client, project, environment):
    # The dashboard toggles with PUT environments/{key}/featurestates/{environment_feature_state.id}/.
    create_feature(admin_client, project, name="toggle_me")
    state_id = listed(admin_client, project, environment=environment.id)[0]["environment_feature_state"]["id"]

    response = admin_client.put(
        f"{V1}/environments/{environment.api_key}/featurestates/{state_id}/",
        {"enabled": True, "feature_state_value": "on"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    state = listed(admin_client, project, environment=environment.id)[0]["environment_feature_state"]
    assert (state["enabled"], state["feature_state_value"]) == (True, "on")


def test_feature_list__typed_values__keep_their_json_type(admin_client, project, environment):
    create_feature(admin_client, project, name="a_number", initial_value=42)
    create_feature(admin_client, project, name="b_text", initial_value="hello")
    create_feature(admin_client, project, name="c_none")

    values = [
        item["environment_feature_state"]["feature_state_value"]
        for item in listed(admin_client, project, environment=environment.id, sort_field="name")
    ]

    assert values == [42, "hello", None]


def test_feature_list__without_environment__no_state_and_null_identity_count(admin_client, project):
    create_feature(admin_client, project)

    [item] = listed(admin_client, project)

    assert item["environment_feature_state"] is None
    assert item["num_identity_overrides"] is None
    assert item["num_segment_overrides"] == 0


def test_feature_list__override_counts_and_segment_state(admin_client, admin_user, project, environment):
    feature = create_feature(admin_client, project, name="checkout")
    other = create_feature(admin_client, project, name="other")
    segment = SegmentFactory(project=project)
    checkout = Feature.objects.get(pk=feature["id"])
    create_segment_override(
        feature=checkout, segment=segment, environment=environment, user=admin_user, state={"enabled": True}
    )
    identity = IdentityFactory(environment=environment)
    create_identity_override(identity, checkout, {"enabled": True}, admin_user)

    items = listed(admin_client, project, environment=environment.id, segment=segment.id)

    by_name = {item["name"]: item for item in items}
    assert [item["name"] for item in items] == ["checkout", "other"]
    assert by_name["checkout"]["num_segment_overrides"] == 1
    assert by_name["checkout"]["num_identity_overrides"] == 1
    segment_state = by_name["checkout"]["segment_feature_state"]
    assert set(segment_state) == SMALL_STATE_FIELDS
    assert segment_state["enabled"] is True
    assert isinstance(segment_state["feature_segment"], int)
    assert by_name["other"]["segment_feature_state"] is None
    assert by_name["other"]["num_identity_overrides"] == 0
    assert other["id"] == by_name["other"]["id"]


def test_feature_list__segment_and_identity__their_overrides_first(admin_client, admin_user, project, environment):
    for name in ("first", "second", "third"):
        create_feature(admin_client, project, name=name)
    segment = SegmentFactory(project=project)
    create_segment_override(
        feature=Feature.objects.get(name="third"), segment=segment, environment=environment, user=admin_user
    )
    identity = IdentityFactory(environment=environment)
    create_identity_override(identity, Feature.objects.get(name="second"), {"enabled": True}, admin_user)

    by_segment = listed(admin_client, project, environment=environment.id, segment=segment.id, sort_field="name")
    by_identity = listed(admin_client, project, environment=environment.id, identity=identity.id, sort_field="name")

    assert [item["name"] for item in by_segment] == ["third", "first", "second"]
    assert [item["name"] for item in by_identity] == ["second", "first", "third"]


def test_feature_list__is_enabled_and_value_search__filter_on_the_environment_state(admin_client, project, environment):
    create_feature(admin_client, project, name="on_blue", initial_value="Blue-ish", default_enabled=True)
    create_feature(admin_client, project, name="off_blue", initial_value="blue")
    create_feature(admin_client, project, name="on_7", initial_value=7, default_enabled=True)
    create_feature(admin_client, project, name="off_true", initial_value=True)

    def names(**query):
        return [item["name"] for item in listed(admin_client, project, environment=environment.id, **query)]

    assert names(is_enabled="true") == ["on_blue", "on_7"]
    assert names(is_enabled="false") == ["off_blue", "off_true"]
    assert names(value_search="BLUE") == ["on_blue", "off_blue"]
    assert names(value_search="blue", is_enabled="false") == ["off_blue"]
    assert names(value_search="7") == ["on_7"]
    # Flagsmith keeps a non-string initial value as its text: True is the string "True".
    assert names(value_search="true") == ["off_true"]


def test_feature_list__is_enabled_null__no_filter(admin_client, project, environment):
    # The segment page's query: is_enabled=null, an empty value_search and search, an unknown "sort".
    create_feature(admin_client, project, name="on", default_enabled=True)
    create_feature(admin_client, project, name="off")

    items = listed(
        admin_client,
        project,
        environment=environment.id,
        is_enabled="null",
        value_search="",
        search="",
        sort="%5Bobject%20Object%5D",
        page_size=999,
    )

    assert [item["name"] for item in items] == ["on", "off"]


def test_feature_list__owners_and_group_owners__features_any_of_them_owns(
    admin_client, admin_user, member_user, organisation, project
):
    group = UserPermissionGroupFactory(organisation=organisation)
    create_feature(admin_client, project, name="mine")
    create_feature(admin_client, project, name="theirs", owners=[member_user.id])
    create_feature(admin_client, project, name="groups", group_owners=[group.id])

    def names(**query):
        return [item["name"] for item in listed(admin_client, project, **query)]

    assert names(owners=member_user.id) == ["theirs"]
    # A creator who names no owner owns the feature (as in Flagsmith), so "groups" is the admin's too.
    assert names(owners=f"{admin_user.id},{member_user.id}") == ["mine", "theirs", "groups"]
    assert names(group_owners=group.id) == ["groups"]


def test_feature_list__dashboard_query__accepted(admin_client, project, environment):
    # The parameters buildApiFilterParams sends on every load of the features page.
    create_feature(admin_client, project, name="flag")

    items = listed(
        admin_client,
        project,
        environment=environment.id,
        page=1,
        page_size=50,
        sort_direction="ASC",
        sort_field="name",
        tag_strategy="INTERSECTION",
        is_archived="false",
    )

    assert [item["name"] for item in items] == ["flag"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"is_enabled": "true"}, "environment"),
        ({"value_search": "x"}, "environment"),
        ({"environment": "not-a-number"}, "environment"),
        ({"owners": "1,x"}, "owners"),
        ({"group_owners": "x"}, "group_owners"),
        ({"is_enabled": "maybe", "environment": "{environment}"}, "is_enabled"),
    ],
)
def test_feature_list__bad_filter__400_naming_it(admin_client, project, environment, query, field):
    query = {key: str(value).replace("{environment}", str(environment.id)) for key, value in query.items()}

    response = admin_client.get(features_url(project), query)

    assert response.status_code == 400
    assert field in response.json()


def test_feature_list__environment_of_another_project__400_revealing_nothing(
    admin_client, project, other_environment, organisation
):
    sibling = EnvironmentFactory(project=ProjectFactory(organisation=organisation))

    foreign = admin_client.get(features_url(project, environment=other_environment.id))
    other_project = admin_client.get(features_url(project, environment=sibling.id))

    assert foreign.status_code == other_project.status_code == 400
    assert foreign.json() == other_project.json()


def test_feature_list__environment_the_member_cannot_see__400(api_client_for, organisation, project, environment):
    user = MembershipFactory(organisation=organisation, role=OrganisationRole.USER).user
    grant(user, project, [VIEW_PROJECT])

    response = api_client_for(user).get(features_url(project, environment=environment.id))

    assert response.status_code == 400
    assert "environment" in response.json()


def test_feature_list__with_environment__query_count_independent_of_page_size(
    admin_client, admin_user, project, environment
):
    segment = SegmentFactory(project=project)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(features_url(project, environment=environment.id, segment=segment.id))
        assert response.status_code == 200
        return len(captured)

    create_feature(admin_client, project, name="one")
    few = count_queries()
    for index in range(6):
        create_feature(admin_client, project, name=f"more_{index}")
    for feature in Feature.objects.filter(project=project)[:3]:
        create_segment_override(feature=feature, segment=segment, environment=environment, user=admin_user)
        create_identity_override(IdentityFactory(environment=environment), feature, {"enabled": True}, admin_user)

    assert count_queries() == few


def test_environment_featurestates__any_identity__identity_overrides_with_their_identity(
    admin_client, admin_user, project, environment
):
    # useIdentityOverride.ts getIdentityOverrides, the feature modal's "Identity overrides" tab.
    feature = Feature.objects.get(pk=create_feature(admin_client, project, name="beta")["id"])
    other = Feature.objects.get(pk=create_feature(admin_client, project, name="other")["id"])
    alice = IdentityFactory(environment=environment, identifier="alice")
    create_identity_override(alice, feature, {"enabled": True}, admin_user)
    create_identity_override(IdentityFactory(environment=environment), other, {"enabled": True}, admin_user)
    url = f"{V1}/environments/{environment.api_key}/featurestates/"

    response = admin_client.get(url, {"anyIdentity": "1", "feature": feature.id, "page": 1})

    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["identity"] == {"id": alice.id, "identifier": "alice"}
    assert (item["feature"], item["enabled"], item["feature_segment"]) == (feature.id, True, None)
    defaults = admin_client.get(url, {"feature": feature.id}).json()["results"]
    assert [state["identity"] for state in defaults] == [None]


def test_environment_featurestates__any_identity__needs_view_identities(
    api_client_for, organisation, project, environment
):
    user = MembershipFactory(organisation=organisation, role=OrganisationRole.USER).user
    grant(user, project, [VIEW_PROJECT])
    grant(user, environment, [VIEW_ENVIRONMENT])
    url = f"{V1}/environments/{environment.api_key}/featurestates/"

    assert api_client_for(user).get(url).status_code == 200
    assert api_client_for(user).get(url, {"anyIdentity": "1"}).status_code == 403


# --- Projects and environments as the dashboard saves them ------------------------------------------------


def test_put_project__without_organisation__200(admin_client, project):
    # ProjectStore.editProject sends the settings it edits, not the organisation.
    response = admin_client.put(f"{V1}/projects/{project.id}/", {"name": "Renamed"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Renamed"
    assert response.json()["organisation"] == project.organisation_id


def test_put_project__another_organisation__400(admin_client, admin_user, project):
    elsewhere = MembershipFactory(user=admin_user, role=OrganisationRole.ADMIN).organisation

    response = admin_client.put(
        f"{V1}/projects/{project.id}/", {"name": "Moved", "organisation": elsewhere.id}, format="json"
    )

    assert response.status_code == 400
    assert "organisation" in response.json()


def test_put_environment__as_the_settings_page_sends_it__200(admin_client, environment):
    # EnvironmentSettingsPage.saveEnv: the environment as read, with nulls where nothing is set.
    url = f"{V1}/environments/{environment.api_key}/"
    body = {
        **admin_client.get(url).json(),
        "banner_text": None,
        "banner_colour": None,
        "description": None,
        "minimum_change_request_approvals": None,
        "hide_sensitive_data": False,
        "use_identity_composite_key_for_hashing": True,
    }

    response = admin_client.put(url, body, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["use_identity_composite_key_for_hashing"] is True


def test_create_environment__holder_of_create_environment__administers_it(api_client_for, organisation, project):
    user = MembershipFactory(organisation=organisation, role=OrganisationRole.USER).user
    grant(user, project, [VIEW_PROJECT, CREATE_ENVIRONMENT])
    client = api_client_for(user)

    created = client.post(f"{V1}/environments/", {"name": "Staging", "project": project.id}, format="json")

    assert created.status_code == 201, created.json()
    api_key = created.json()["api_key"]
    assert client.get(f"{V1}/environments/{api_key}/").status_code == 200
    assert client.get(f"{V1}/environments/{api_key}/my-permissions/").json()["admin"] is True
    assert [env["api_key"] for env in client.get(f"{V1}/environments/?project={project.id}").json()["results"]] == [
        api_key
    ]


def test_create_project__creator__administers_it(api_client_for, organisation):
    user = MembershipFactory(organisation=organisation, role=OrganisationRole.USER).user
    grant(user, organisation, [CREATE_PROJECT])
    client = api_client_for(user)

    created = client.post(f"{V1}/projects/", {"name": "Mine", "organisation": organisation.id}, format="json")

    assert created.status_code == 201, created.json()
    project_id = created.json()["id"]
    assert client.get(f"{V1}/projects/{project_id}/my-permissions/").json()["admin"] is True
    assert client.put(f"{V1}/projects/{project_id}/", {"name": "Still mine"}, format="json").status_code == 200


def test_create_environment__with_an_api_key__no_grant(organisation, project):
    _, key = make_api_key(organisation)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    created = client.post(f"{V1}/environments/", {"name": "Keyed", "project": project.id}, format="json")

    assert created.status_code == 201, created.json()
    assert not EnvironmentPermission.objects.filter(environment_id=created.json()["id"]).exists()


# --- Environment metrics and the probes of parts Banderole does not have ---------------------------------


def test_environment_metrics__counts_as_flagsmith(admin_client, admin_user, project, environment):
    create_feature(admin_client, project, name="on", default_enabled=True)
    create_feature(admin_client, project, name="off")
    create_feature(admin_client, project, name="archived", default_enabled=True, is_archived=True)
    on = Feature.objects.get(name="on")
    create_segment_override(
        feature=on, segment=SegmentFactory(project=project), environment=environment, user=admin_user
    )
    create_identity_override(IdentityFactory(environment=environment), on, {"enabled": True}, admin_user)

    response = admin_client.get(f"{V1}/environments/{environment.api_key}/metrics/")

    assert response.status_code == 200
    metrics = response.json()["metrics"]
    assert [(m["name"], m["entity"], m["value"], m["rank"]) for m in metrics] == [
        ("total_features", "features", 2, 1),
        ("enabled_features", "features", 1, 2),
        ("segment_overrides", "segments", 1, 3),
        ("identity_overrides", "identities", 1, 4),
    ]
    assert all(isinstance(m["description"], str) and m["description"] for m in metrics)


EMPTY_PAGE = {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("projects/{project}/feature-imports/", EMPTY_PAGE),  # ButterBar.tsx, on every page
        ("projects/{project}/feature-exports/", EMPTY_PAGE),
        ("projects/{project}/feature-health/events/", []),
        ("projects/{project}/feature-health/providers/", []),
        ("metadata/fields/?organisation={organisation}", EMPTY_PAGE),
        ("projects/{project}/metadata/fields/", EMPTY_PAGE),
        ("projects/{project}/integrations/datadog/", []),
        ("projects/{project}/features/{feature}/code-references/", []),
        ("projects/{project}/integrations/new-relic/", []),
        ("environments/{environment}/integrations/slack/", []),
        ("environments/{environment}/integrations/webhook/", []),
        ("organisations/{organisation}/integrations/github/", []),
        ("organisations/{organisation}/metadata-model-fields/", EMPTY_PAGE),
        ("organisations/{organisation}/metadata-model-fields/supported-content-types/", []),
    ],
)
def test_probes__parts_not_here__answer_none(admin_client, organisation, project, environment, path, expected):
    feature = create_feature(admin_client, project)
    url = f"{V1}/" + path.format(
        organisation=organisation.id, project=project.id, environment=environment.api_key, feature=feature["id"]
    )

    response = admin_client.get(url)

    assert response.status_code == 200
    assert response.json() == expected


def test_metadata_fields__organisation_missing_or_not_yours__400_or_404(admin_client, other_organisation):
    assert admin_client.get(f"{V1}/metadata/fields/").status_code == 400
    assert admin_client.get(f"{V1}/metadata/fields/?organisation={other_organisation.id}").status_code == 404


def test_probes__integration_kind_not_a_slug__404(admin_client, project):
    assert admin_client.get(f"{V1}/projects/{project.id}/integrations/Not_A_Kind/").status_code == 404


def test_probes__writes__refused_not_pretended(admin_client, project, environment):
    created = admin_client.post(f"{V1}/projects/{project.id}/integrations/datadog/", {"api_key": "x"}, format="json")
    imported = admin_client.post(f"{V1}/projects/{project.id}/feature-imports/", {}, format="json")

    assert created.status_code == imported.status_code == 405


# --- Segments (useSegment.ts cloneSegment) -------------------------------------------------------------------


def test_clone_segment__copy_with_the_same_rules_under_the_new_name(admin_client, project):
    rules = [
        {
            "type": "ALL",
            "rules": [
                {
                    "type": "ANY",
                    "rules": [],
                    "conditions": [
                        {"operator": "EQUAL", "property": "plan", "value": "pro", "description": "paying"},
                        {"operator": "PERCENTAGE_SPLIT", "property": None, "value": "10"},
                    ],
                }
            ],
            "conditions": [],
        }
    ]
    segments_url = f"{V1}/projects/{project.id}/segments/"
    source = admin_client.post(
        segments_url, {"name": "pro", "description": "Paying", "project": project.id, "rules": rules}, format="json"
    ).json()

    response = admin_client.post(f"{segments_url}{source['id']}/clone/", {"name": "pro copy"}, format="json")

    assert response.status_code == 201, response.json()
    clone = response.json()
    assert clone["id"] != source["id"]
    assert (clone["name"], clone["description"], clone["project"]) == ("pro copy", "Paying", project.id)

    def shape(rules):
        return [
            (
                rule["type"],
                [(c["operator"], c["property"], c["value"], c.get("description")) for c in rule["conditions"]],
                shape(rule["rules"]),
            )
            for rule in rules
        ]

    assert shape(clone["rules"]) == shape(source["rules"])
    assert admin_client.get(f"{segments_url}{source['id']}/").json()["name"] == "pro"


def test_clone_segment__without_a_name__400_and_nothing_written(admin_client, project):
    segment = SegmentFactory(project=project)

    response = admin_client.post(f"{V1}/projects/{project.id}/segments/{segment.id}/clone/", {}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()
    assert project.segments.count() == 1
