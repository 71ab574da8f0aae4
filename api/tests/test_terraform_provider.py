"""Flagsmith's Terraform provider against Banderole, call by call.

Each test replays one resource's lifecycle as the provider drives it
(terraform-provider-flagsmith, ``flagsmith/resource_*.go``) through the Go client it
pins (flagsmith-go-api-client v0.11.1): the same methods, paths and bodies, each
response decoded against the client's structs (``tests/terraform_go_client.py``).
The comment on each step names the Go function it mirrors. The lifecycle is:
create, read by id and by uuid, update, delete, read after delete → 404.
"""

from __future__ import annotations

from typing import Any

import pytest

from environments.tests.factories import EnvironmentFactory
from features.models import FeatureState
from organisations.models import OrganisationRole
from organisations.tests.factories import MembershipFactory
from permissions.tests.factories import UserPermissionGroupFactory, add_to_group, make_api_key
from tests.terraform_go_client import GoClient, marshal

pytestmark = pytest.mark.django_db


@pytest.fixture
def go(organisation) -> GoClient:
    """The provider's client, configured with an admin organisation API key (``master_api_key``)."""
    _, key = make_api_key(organisation, name="terraform", is_admin=True)
    return GoClient(key)


@pytest.fixture
def tf_project(go, organisation) -> dict[str, Any]:
    # CreateProject: POST projects/ with the Project struct.
    return go.ok(
        "POST", "/projects/", "Project", marshal("Project", {"name": "Terraform", "organisation": organisation.id})
    )


@pytest.fixture
def tf_environment(go, tf_project) -> dict[str, Any]:
    # CreateEnvironment: POST environments/ (description is sent even when empty).
    body = marshal("Environment", {"name": "Production", "project": tf_project["id"]})
    return go.ok("POST", "/environments/", "Environment", body)


def _create_feature(go: GoClient, project: dict[str, Any], **values: Any) -> dict[str, Any]:
    # CreateFeature: POST projects/{id}/features/; the provider always sends type, description,
    # tags, and owners/group_owners (empty lists when configured empty).
    body = marshal(
        "Feature",
        {"type": "STANDARD", "description": "", "tags": [], "project": project["id"], **values},
    )
    return go.ok("POST", f"/projects/{project['id']}/features/", "Feature", body)


def _get_feature(go: GoClient, uuid: str) -> dict[str, Any]:
    # GetFeature: GET features/get-by-uuid/{uuid}/, then GetProjectByID for the project's uuid.
    feature = go.ok("GET", f"/features/get-by-uuid/{uuid}/", "Feature")
    go.ok("GET", f"/projects/{feature['project']}/", "Project")
    return feature


# --- organisation and user data sources -------------------------------------------------


def test_organisation_data_source__get_by_uuid__decodes(go, organisation):
    # GetOrganisationByUUID: GET organisations/get-by-uuid/{uuid}/.
    body = go.ok("GET", f"/organisations/get-by-uuid/{organisation.uuid}/", "Organisation")

    assert body["id"] == organisation.id
    assert body["name"] == "Acme"
    assert body["persist_trait_data"] is True


def test_user_data_source__organisation_users__plain_list_with_uuid(go, organisation, admin_user):
    # GetOrganisationUsers / GetOrganisationUserByEmail: GET organisations/{id}/users/, a plain array.
    users = go.ok("GET", f"/organisations/{organisation.id}/users/", "[]User")

    (admin,) = [user for user in users if user["email"] == admin_user.email]
    assert admin["uuid"] == str(admin_user.uuid)
    assert admin["role"] == OrganisationRole.ADMIN


# --- flagsmith_project ------------------------------------------------------------------


def test_project_lifecycle__create_read_update_delete__as_the_provider(go, organisation):
    # CreateProject: POST projects/.
    created = go.ok(
        "POST", "/projects/", "Project", marshal("Project", {"name": "Checkout", "organisation": organisation.id})
    )
    # Flagsmith's default: flag defaults apply (an omitted prevent_flag_defaults is false).
    assert created["prevent_flag_defaults"] is False

    # GetProject: GET projects/get-by-uuid/{uuid}/; GetProjectByID: GET projects/{id}/.
    by_uuid = go.ok("GET", f"/projects/get-by-uuid/{created['uuid']}/", "Project")
    by_id = go.ok("GET", f"/projects/{created['id']}/", "Project")
    assert by_uuid == by_id

    # UpdateProject: PUT projects/{id}/ with the whole struct (id and uuid included).
    update = marshal(
        "Project",
        {
            "id": created["id"],
            "uuid": created["uuid"],
            "name": "Checkout v2",
            "organisation": organisation.id,
            "hide_disabled_flags": True,
            "enforce_feature_owners": False,
            "stale_flags_limit_days": 14,
        },
    )
    updated = go.ok("PUT", f"/projects/{created['id']}/", "Project", update)
    assert (updated["name"], updated["hide_disabled_flags"], updated["stale_flags_limit_days"]) == (
        "Checkout v2",
        True,
        14,
    )

    # DeleteProject: DELETE projects/{id}/; the next read finds nothing.
    go.ok("DELETE", f"/projects/{created['id']}/", None)
    assert go.status("GET", f"/projects/get-by-uuid/{created['uuid']}/") == 404
    assert go.status("GET", f"/projects/{created['id']}/") == 404


# --- flagsmith_environment --------------------------------------------------------------


def test_environment_lifecycle__create_read_update_delete__as_the_provider(go, tf_project):
    # CreateEnvironment: POST environments/.
    body = marshal("Environment", {"name": "Staging", "project": tf_project["id"], "allow_client_traits": True})
    created = go.ok("POST", "/environments/", "Environment", body)

    # GetEnvironmentByUUID (the resource's Read) and GetEnvironment (by client key).
    by_uuid = go.ok("GET", f"/environments/get-by-uuid/{created['uuid']}/", "Environment")
    by_key = go.ok("GET", f"/environments/{created['api_key']}/", "Environment")
    assert by_uuid == by_key

    # UpdateEnvironment: PUT environments/{api_key}/ with the whole struct.
    update = marshal(
        "Environment",
        {
            **{key: created[key] for key in ("id", "uuid", "api_key", "project")},
            "name": "Staging EU",
            "description": "Europe",
            "banner_text": "careful",
            "banner_colour": "#ff0000",
            "hide_sensitive_data": True,
            "use_identity_composite_key_for_hashing": True,
            "minimum_change_request_approvals": 2,
        },
    )
    updated = go.ok("PUT", f"/environments/{created['api_key']}/", "Environment", update)
    assert (updated["name"], updated["description"], updated["banner_text"]) == ("Staging EU", "Europe", "careful")

    # DeleteEnvironment: DELETE environments/{api_key}/.
    go.ok("DELETE", f"/environments/{created['api_key']}/", None)
    assert go.status("GET", f"/environments/get-by-uuid/{created['uuid']}/") == 404
    assert go.status("GET", f"/environments/{created['api_key']}/") == 404


# --- flagsmith_tag ----------------------------------------------------------------------


def test_tag_lifecycle__create_read_update_delete__as_the_provider(go, tf_project):
    project_id = tf_project["id"]
    # CreateTag: POST projects/{id}/tags/ (description is a nil pointer: null).
    body = marshal("Tag", {"label": "billing", "color": "#0aaddd", "project": project_id})
    created = go.ok("POST", f"/projects/{project_id}/tags/", "Tag", body)

    # GetTag: getProjectID (GET projects/get-by-uuid/), then GET projects/{id}/tags/get-by-uuid/{uuid}/.
    go.ok("GET", f"/projects/get-by-uuid/{tf_project['uuid']}/", "Project")
    read = go.ok("GET", f"/projects/{project_id}/tags/get-by-uuid/{created['uuid']}/", "Tag")
    assert read["label"] == "billing"
    assert go.ok("GET", f"/projects/{project_id}/tags/{created['id']}/", "Tag") == read

    # UpdateTag: PUT projects/{id}/tags/{tag}/.
    update = marshal(
        "Tag",
        {"id": created["id"], "uuid": created["uuid"], "label": "payments", "description": "money", "color": "#000000"}
        | {"project": project_id},
    )
    updated = go.ok("PUT", f"/projects/{project_id}/tags/{created['id']}/", "Tag", update)
    assert (updated["label"], updated["description"], updated["color"]) == ("payments", "money", "#000000")

    # DeleteTag.
    go.ok("DELETE", f"/projects/{project_id}/tags/{created['id']}/", None)
    assert go.status("GET", f"/projects/{project_id}/tags/get-by-uuid/{created['uuid']}/") == 404


# --- flagsmith_feature ------------------------------------------------------------------


def test_standard_feature_lifecycle__owners_group_owners_tags__as_the_provider(go, organisation, tf_project):
    project_id = tf_project["id"]
    alice = MembershipFactory(organisation=organisation).user
    bob = MembershipFactory(organisation=organisation).user
    team = UserPermissionGroupFactory(organisation=organisation, name="team")
    ops = UserPermissionGroupFactory(organisation=organisation, name="ops")
    add_to_group(team, alice)
    tag = go.ok("POST", f"/projects/{project_id}/tags/", "Tag", marshal("Tag", {"label": "t", "color": "#fff"}))

    created = _create_feature(
        go,
        tf_project,
        name="checkout",
        initial_value="blue",
        default_enabled=True,
        owners=[alice.id],
        group_owners=[team.id],
        tags=[tag["id"]],
    )
    # The provider compares these with its plan: owners and group owners are kept on create.
    assert [owner["id"] for owner in created["owners"]] == [alice.id]
    assert [group["id"] for group in created["group_owners"]] == [team.id]
    assert created["tags"] == [tag["id"]]
    assert (created["initial_value"], created["default_enabled"], created["type"]) == ("blue", True, "STANDARD")

    # Read: GetFeature (by uuid) and the id route.
    read = _get_feature(go, created["uuid"])
    assert go.ok("GET", f"/projects/{project_id}/features/{created['id']}/", "Feature") == read

    # Update: UpdateFeature (PUT with the plan), then the owner diffs, then GetFeature again.
    update = marshal(
        "Feature",
        {
            "id": created["id"],
            "uuid": created["uuid"],
            "name": "checkout",
            "type": "STANDARD",
            "description": "The new checkout",
            "initial_value": "blue",
            "default_enabled": True,
            "owners": [bob.id],
            "group_owners": [ops.id],
            "tags": [],
            "project": project_id,
        },
    )
    updated = go.ok("PUT", f"/projects/{project_id}/features/{created['id']}/", "Feature", update)
    assert updated["description"] == "The new checkout"
    assert updated["tags"] == []
    base = f"/projects/{project_id}/features/{created['id']}"
    go.ok("POST", f"{base}/remove-owners/", None, {"user_ids": [alice.id]})  # RemoveFeatureOwners
    go.ok("POST", f"{base}/add-owners/", None, {"user_ids": [bob.id]})  # AddFeatureOwners
    go.ok("POST", f"{base}/remove-group-owners/", None, {"group_ids": [team.id]})  # RemoveFeatureGroupOwners
    go.ok("POST", f"{base}/add-group-owners/", None, {"group_ids": [ops.id]})  # AddFeatureGroupOwners
    final = _get_feature(go, created["uuid"])
    assert [owner["id"] for owner in final["owners"]] == [bob.id]
    assert [group["id"] for group in final["group_owners"]] == [ops.id]

    # DeleteFeature: DELETE projects/{p}/features/{id}/; GetFeature's 404 is FeatureNotFoundError.
    go.ok("DELETE", f"{base}/", None)
    assert go.status("GET", f"/features/get-by-uuid/{created['uuid']}/") == 404
    assert go.status("GET", f"{base}/") == 404


def test_feature_create__owners_not_configured__api_key_owns_nothing(go, tf_project):
    created = _create_feature(go, tf_project, name="plain")

    assert created["owners"] == []
    assert created["group_owners"] == []


def test_multivariate_feature_and_variant_lifecycle__as_the_provider(go, tf_project, tf_environment):
    project_id = tf_project["id"]
    feature = _create_feature(go, tf_project, name="banner", type="MULTIVARIATE", initial_value="control")
    assert feature["type"] == "MULTIVARIATE"

    # CreateFeatureMVOption: GetFeature (feature id unknown), then POST .../mv-options/.
    _get_feature(go, feature["uuid"])
    option_body = marshal(
        "FeatureMultivariateOption",
        {"type": "unicode", "feature": feature["id"], "string_value": "red", "default_percentage_allocation": 30},
    )
    base = f"/projects/{project_id}/features/{feature['id']}/mv-options"
    option = go.ok("POST", f"{base}/", "FeatureMultivariateOption", option_body)
    assert (option["string_value"], option["default_percentage_allocation"]) == ("red", 30)

    # GetFeatureMVOption: GET multivariate/options/get-by-uuid/{uuid}/, then GetFeature.
    read = go.ok("GET", f"/multivariate/options/get-by-uuid/{option['uuid']}/", "FeatureMultivariateOption")
    _get_feature(go, feature["uuid"])
    assert go.ok("GET", f"{base}/{option['id']}/", "FeatureMultivariateOption") == read

    # UpdateFeatureMVOption: PUT .../mv-options/{id}/ (an integer variant now).
    update = marshal(
        "FeatureMultivariateOption",
        {
            "id": option["id"],
            "uuid": option["uuid"],
            "type": "int",
            "feature": feature["id"],
            "integer_value": 7,
            "default_percentage_allocation": 45.5,
        },
    )
    updated = go.ok("PUT", f"{base}/{option['id']}/", "FeatureMultivariateOption", update)
    assert (updated["type"], updated["integer_value"], updated["default_percentage_allocation"]) == ("int", 7, 45.5)

    # The environment default carries the variant's share (the feature state resource reads it).
    states = go.ok("GET", f"/environments/{tf_environment['api_key']}/featurestates/", None, query=None)
    assert states is not None

    # DeleteFeatureMVOption, then the feature itself.
    go.ok("DELETE", f"{base}/{option['id']}/", None)
    assert go.status("GET", f"/multivariate/options/get-by-uuid/{option['uuid']}/") == 404
    go.ok("DELETE", f"/projects/{project_id}/features/{feature['id']}/", None)
    assert go.status("GET", f"/features/get-by-uuid/{feature['uuid']}/") == 404


# --- flagsmith_segment ------------------------------------------------------------------

RULES = [
    {
        "type": "ALL",
        "rules": [
            {"type": "ANY", "conditions": [{"operator": "EQUAL", "property": "plan", "value": "pro"}]},
            {"type": "ANY", "conditions": [{"operator": "PERCENTAGE_SPLIT", "property": "", "value": "25"}]},
        ],
    }
]


def _segment_lifecycle(go: GoClient, project: dict[str, Any], feature_id: int | None = None) -> None:
    project_id = project["id"]
    # CreateSegment: POST projects/{id}/segments/ with the Segment struct.
    body = marshal("Segment", {"name": "pros", "project": project_id, "feature": feature_id, "rules": RULES})
    created = go.ok("POST", f"/projects/{project_id}/segments/", "Segment", body)
    assert created["feature"] == feature_id

    # GetSegment: GET segments/get-by-uuid/{uuid}/, then GetProjectByID.
    read = go.ok("GET", f"/segments/get-by-uuid/{created['uuid']}/", "Segment")
    go.ok("GET", f"/projects/{read['project']}/", "Project")
    conditions = [condition for rule in read["rules"][0]["rules"] for condition in rule["conditions"]]
    assert [(c["operator"], c["property"], c["value"]) for c in conditions] == [
        ("EQUAL", "plan", "pro"),
        ("PERCENTAGE_SPLIT", "", "25"),
    ]
    assert go.ok("GET", f"/projects/{project_id}/segments/{created['id']}/", "Segment")["uuid"] == created["uuid"]

    # UpdateSegment: PUT projects/{id}/segments/{segment}/ with the whole struct.
    new_rules = [
        {
            "type": "ALL",
            "rules": [{"type": "ANY", "conditions": [{"operator": "IS_SET", "property": "email", "value": ""}]}],
        }
    ]
    update = marshal(
        "Segment",
        {
            "id": created["id"],
            "uuid": created["uuid"],
            "name": "with email",
            "description": "anyone with an email",
            "project": project_id,
            "feature": feature_id,
            "rules": new_rules,
        },
    )
    updated = go.ok("PUT", f"/projects/{project_id}/segments/{created['id']}/", "Segment", update)
    assert (updated["name"], updated["description"]) == ("with email", "anyone with an email")
    assert updated["rules"][0]["rules"][0]["conditions"][0]["operator"] == "IS_SET"

    # DeleteSegment.
    go.ok("DELETE", f"/projects/{project_id}/segments/{created['id']}/", None)
    assert go.status("GET", f"/segments/get-by-uuid/{created['uuid']}/") == 404


def test_segment_lifecycle__as_the_provider(go, tf_project):
    _segment_lifecycle(go, tf_project)


def test_feature_specific_segment_lifecycle__as_the_provider(go, tf_project):
    feature = _create_feature(go, tf_project, name="specific")

    _segment_lifecycle(go, tf_project, feature_id=feature["id"])


# --- flagsmith_feature_state ------------------------------------------------------------


def _read_feature_state(go: GoClient, uuid: str) -> dict[str, Any]:
    # GetFeatureState: GET features/featurestates/get-by-uuid/{uuid}/, then for an override
    # GetFeatureSegmentByID: GET features/feature-segments/{id}/ (segment and priority).
    state = go.ok("GET", f"/features/featurestates/get-by-uuid/{uuid}/", "FeatureState")
    if state.get("feature_segment") is not None:
        state["_feature_segment"] = go.ok(
            "GET", f"/features/feature-segments/{state['feature_segment']}/", "FeatureSegment"
        )
    return state


def test_feature_state_lifecycle__environment_default__as_the_provider(go, tf_project, tf_environment):
    feature = _create_feature(go, tf_project, name="limit", initial_value="10", default_enabled=True)
    key = tf_environment["api_key"]

    # Create = Read then Update. Read without a uuid: GetEnvironmentFeatureState,
    # GET environments/{key}/featurestates/?feature={id}, which must hold exactly one result.
    page = go.ok("GET", f"/environments/{key}/featurestates/", None, query={"feature": str(feature["id"])})
    (state,) = page["results"]
    go_state = marshal("FeatureState", {key: state.get(key) for key in ("id", "uuid", "enabled", "feature")})
    assert state["feature_state_value"] == 10  # a bare value: UnmarshalJSON makes it {type: int}
    assert go_state["enabled"] is True

    # UpdateFeatureState: PUT features/featurestates/{id}/ with the typed value.
    body = marshal(
        "FeatureState",
        {
            "id": state["id"],
            "uuid": state["uuid"],
            "feature_state_value": {"type": "int", "string_value": None, "integer_value": 25, "boolean_value": None},
            "enabled": False,
            "feature": feature["id"],
            "environment": tf_environment["id"],
        },
    )
    updated = go.ok("PUT", f"/features/featurestates/{state['id']}/", "FeatureState", body)
    assert updated["feature_state_value"] == {
        "type": "int",
        "string_value": None,
        "integer_value": 25,
        "boolean_value": None,
    }
    assert (updated["enabled"], updated["environment"], updated["feature_segment"]) == (
        False,
        tf_environment["id"],
        None,
    )

    # Read by uuid (later refreshes), by id and in the environment's list.
    read = _read_feature_state(go, state["uuid"])
    assert read == updated
    assert go.ok("GET", f"/features/featurestates/{state['id']}/", "FeatureState") == read
    listed = go.ok(
        "GET",
        "/features/featurestates/",
        None,
        query={"environment": str(tf_environment["id"]), "feature": str(feature["id"])},
    )
    assert [item["id"] for item in listed["results"]] == [state["id"]]

    # PATCH changes one field (a string value now).
    patched = go.ok(
        "PATCH",
        f"/features/featurestates/{state['id']}/",
        "FeatureState",
        {"feature_state_value": {"type": "unicode", "string_value": "many"}},
    )
    assert patched["feature_state_value"]["string_value"] == "many"
    assert patched["enabled"] is False

    # Delete only drops the resource from Terraform's state; the state goes with its feature.
    go.ok("DELETE", f"/projects/{tf_project['id']}/features/{feature['id']}/", None)
    assert go.status("GET", f"/features/featurestates/get-by-uuid/{state['uuid']}/") == 404
    assert go.status("GET", f"/features/featurestates/{state['id']}/") == 404


def test_segment_override_lifecycle__feature_segment_and_state__as_the_provider(go, tf_project, tf_environment):
    project_id = tf_project["id"]
    feature = _create_feature(go, tf_project, name="theme", initial_value="light", default_enabled=True)
    first = go.ok(
        "POST",
        f"/projects/{project_id}/segments/",
        "Segment",
        marshal("Segment", {"name": "a", "project": project_id, "rules": RULES}),
    )
    segment = go.ok(
        "POST",
        f"/projects/{project_id}/segments/",
        "Segment",
        marshal("Segment", {"name": "b", "project": project_id, "rules": RULES}),
    )
    # Another override already at the top, so the priority update below moves something.
    go.ok(
        "POST",
        "/features/feature-segments/",
        "FeatureSegment",
        marshal(
            "FeatureSegment",
            {"feature": feature["id"], "segment": first["id"], "environment": tf_environment["id"], "priority": 0},
        ),
    )

    # CreateSegmentOverride: GetEnvironment, CreateFeatureSegment (priority unset: null),
    # then POST features/featurestates/ for the override's state.
    environment = go.ok("GET", f"/environments/{tf_environment['api_key']}/", "Environment")
    feature_segment = go.ok(
        "POST",
        "/features/feature-segments/",
        "FeatureSegment",
        marshal(
            "FeatureSegment",
            {"feature": feature["id"], "segment": segment["id"], "environment": environment["id"], "priority": None},
        ),
    )
    assert feature_segment["priority"] == 1
    state_body = marshal(
        "FeatureState",
        {
            "feature_state_value": {
                "type": "unicode",
                "string_value": "dark",
                "integer_value": None,
                "boolean_value": None,
            },
            "enabled": True,
            "feature": feature["id"],
            "environment": environment["id"],
            "feature_segment": feature_segment["id"],
        },
    )
    status, created = go.call("POST", "/features/featurestates/", state_body)
    assert status == 201, created
    created = go.ok("GET", f"/features/featurestates/{created['id']}/", "FeatureState")
    assert created["feature_segment"] == feature_segment["id"]
    assert created["feature_state_value"]["string_value"] == "dark"

    # Read: GetFeatureState by uuid, then the feature segment for segment and priority.
    read = _read_feature_state(go, created["uuid"])
    assert (read["_feature_segment"]["segment"], read["_feature_segment"]["priority"]) == (segment["id"], 1)

    # Update: UpdateFeatureState (PUT by id, feature_segment kept), then
    # UpdateFeatureSegmentPriority (POST update-priorities/ with one item).
    update = marshal(
        "FeatureState",
        {
            "id": created["id"],
            "uuid": created["uuid"],
            "feature_state_value": {"type": "bool", "string_value": None, "integer_value": None, "boolean_value": True},
            "enabled": False,
            "feature": feature["id"],
            "environment": environment["id"],
            "feature_segment": feature_segment["id"],
        },
    )
    updated = go.ok("PUT", f"/features/featurestates/{created['id']}/", "FeatureState", update)
    assert (updated["enabled"], updated["feature_state_value"]["boolean_value"]) == (False, True)
    go.ok("POST", "/features/feature-segments/update-priorities/", None, [{"priority": 0, "id": feature_segment["id"]}])
    assert _read_feature_state(go, created["uuid"])["_feature_segment"]["priority"] == 0
    default = FeatureState.objects.get(feature_id=feature["id"], feature_segment__isnull=True, identity__isnull=True)
    assert default.feature_state_value.value == "light"  # the override never touched the default

    # Delete: DeleteFeatureSegment takes the override's state with it.
    go.ok("DELETE", f"/features/feature-segments/{feature_segment['id']}/", None)
    assert go.status("GET", f"/features/featurestates/get-by-uuid/{created['uuid']}/") == 404
    assert go.status("GET", f"/features/feature-segments/{feature_segment['id']}/") == 404


def test_feature_segment__get_by_uuid__as_flagsmith_routes_it(go, tf_project, tf_environment):
    feature = _create_feature(go, tf_project, name="fs")
    segment = go.ok(
        "POST",
        f"/projects/{tf_project['id']}/segments/",
        "Segment",
        marshal("Segment", {"name": "s", "project": tf_project["id"], "rules": RULES}),
    )
    created = go.ok(
        "POST",
        "/features/feature-segments/",
        "FeatureSegment",
        marshal(
            "FeatureSegment", {"feature": feature["id"], "segment": segment["id"], "environment": tf_environment["id"]}
        ),
    )

    read = go.ok("GET", f"/features/feature-segments/get-by-uuid/{created['uuid']}/", "FeatureSegment")

    assert read["id"] == created["id"]


# --- identities and traits (identity.go), server-side keys (api_keys.go) ----------------


def test_identity_and_trait_calls__typed_trait_body__as_the_go_client(go, tf_environment):
    key = tf_environment["api_key"]
    # CreateIdentity / GetIdentity.
    identity = go.ok(
        "POST", f"/environments/{key}/identities/", "Identity", marshal("Identity", {"identifier": "user-1"})
    )
    assert go.ok("GET", f"/environments/{key}/identities/{identity['id']}/", "Identity")["identifier"] == "user-1"
    base = f"/environments/{key}/identities/{identity['id']}/traits"

    # CreateTrait: Flagsmith's typed body, one per type.
    bodies = [
        {"trait_key": "plan", "value_type": "unicode", "string_value": "pro"},
        {"trait_key": "age", "value_type": "int", "integer_value": 42},
        {"trait_key": "ratio", "value_type": "float", "float_value": 0.5},
        {"trait_key": "beta", "value_type": "bool", "boolean_value": False},
    ]
    created = [go.ok("POST", f"{base}/", "Trait", marshal("Trait", body)) for body in bodies]
    values = {trait["trait_key"]: (trait["value_type"], trait["trait_value"]) for trait in created}
    assert values == {"plan": ("unicode", "pro"), "age": ("int", 42), "ratio": ("float", 0.5), "beta": ("bool", False)}
    assert created[1]["integer_value"] == 42
    assert created[2]["float_value"] == 0.5

    # GetTraits: a page whose results are Traits.
    page = go.ok("GET", f"{base}/", None)
    listed = [item for item in page["results"]]
    assert sorted(item["trait_key"] for item in listed) == ["age", "beta", "plan", "ratio"]

    # UpdateTrait: PUT .../traits/{id}/ with the typed body.
    age = created[1]
    update = marshal("Trait", {"id": age["id"], "trait_key": "age", "value_type": "int", "integer_value": 43})
    go.ok("PUT", f"{base}/{age['id']}/", "Trait", update)
    assert go.ok("GET", f"{base}/{age['id']}/", "Trait")["integer_value"] == 43

    # DeleteTrait, DeleteIdentity.
    go.ok("DELETE", f"{base}/{age['id']}/", None)
    assert go.status("GET", f"{base}/{age['id']}/") == 404
    go.ok("DELETE", f"/environments/{key}/identities/{identity['id']}/", None)
    assert go.status("GET", f"/environments/{key}/identities/{identity['id']}/") == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"trait_key": "n", "value_type": "int", "string_value": "42"}, "integer_value"),
        ({"trait_key": "n", "value_type": "int", "integer_value": True}, "integer_value"),
        ({"trait_key": "n", "value_type": "bool", "boolean_value": "yes"}, "boolean_value"),
        ({"trait_key": "n", "value_type": "date", "string_value": "x"}, "value_type"),
    ],
)
def test_create_trait__typed_body_value_missing_or_wrong__400_names_field(go, tf_environment, body, field):
    key = tf_environment["api_key"]
    identity = go.ok("POST", f"/environments/{key}/identities/", "Identity", {"identifier": "u"})

    status, data = go.call("POST", f"/environments/{key}/identities/{identity['id']}/traits/", body)

    assert status == 400
    assert field in data


def test_create_trait__plain_trait_value__still_accepted(go, tf_environment):
    key = tf_environment["api_key"]
    identity = go.ok("POST", f"/environments/{key}/identities/", "Identity", {"identifier": "u"})

    trait = go.ok(
        "POST",
        f"/environments/{key}/identities/{identity['id']}/traits/",
        "Trait",
        {"trait_key": "k", "trait_value": 5},
    )

    assert (trait["value_type"], trait["integer_value"], trait["trait_value"]) == ("int", 5, 5)


def test_server_side_key_calls__as_the_go_client(go, tf_environment):
    base = f"/environments/{tf_environment['api_key']}/api-keys"
    # CreateServerSideEnvKey / GetServerSideEnvKeys (a plain array) / UpdateServerSideEnvKey / Delete.
    created = go.ok(
        "POST", f"{base}/", "ServerSideEnvKey", marshal("ServerSideEnvKey", {"name": "backend", "active": True})
    )
    assert created["key"].startswith("ser.")
    keys = go.ok("GET", f"{base}/", "[]ServerSideEnvKey")
    assert [key["id"] for key in keys] == [created["id"]]
    update = marshal("ServerSideEnvKey", {"id": created["id"], "name": "backend", "active": False})
    assert go.ok("PUT", f"{base}/{created['id']}/", "ServerSideEnvKey", update)["active"] is False
    go.ok("DELETE", f"{base}/{created['id']}/", None)
    assert go.ok("GET", f"{base}/", "[]ServerSideEnvKey") == []


# --- another organisation's objects stay 404 through the new routes ------------------------


def test_new_routes__another_organisations_key__404_everywhere(organisation, other_organisation, admin_user):
    from features import services as feature_services
    from features.models import FeatureSegment
    from projects.tests.factories import ProjectFactory
    from segments.tests.factories import SegmentFactory

    project = ProjectFactory(organisation=organisation)
    environment = EnvironmentFactory(project=project)
    feature = feature_services.create_feature(project, {"name": "secret", "initial_value": "x"}, admin_user)
    segment = SegmentFactory(project=project)
    override = feature_services.create_segment_override(
        feature=feature, segment=segment, environment=environment, user=admin_user
    )
    feature_segment = FeatureSegment.objects.get(pk=override.feature_segment_id)
    default = FeatureState.objects.get(feature=feature, feature_segment__isnull=True, identity__isnull=True)
    tag = feature.tags.model.objects.create(project=project, label="secret")
    option = feature_services.create_multivariate_option(feature, {"string_value": "v"}, admin_user)
    _, stranger_key = make_api_key(other_organisation, name="theirs", is_admin=True)
    stranger = GoClient(stranger_key)

    paths = [
        f"/organisations/get-by-uuid/{organisation.uuid}/",
        f"/projects/get-by-uuid/{project.uuid}/",
        f"/environments/get-by-uuid/{environment.uuid}/",
        f"/features/get-by-uuid/{feature.uuid}/",
        f"/features/featurestates/get-by-uuid/{default.uuid}/",
        f"/features/featurestates/get-by-uuid/{override.uuid}/",
        f"/features/featurestates/{default.id}/",
        f"/features/feature-segments/get-by-uuid/{feature_segment.uuid}/",
        f"/multivariate/options/get-by-uuid/{option.uuid}/",
        f"/segments/get-by-uuid/{segment.uuid}/",
        f"/projects/{project.id}/tags/get-by-uuid/{tag.uuid}/",
    ]
    assert {path: stranger.status("GET", path) for path in paths} == dict.fromkeys(paths, 404)
    put = {"feature": feature.id, "environment": environment.id, "enabled": True}
    assert stranger.status("PUT", f"/features/featurestates/{default.id}/", put) == 404
    assert stranger.status("PATCH", f"/features/featurestates/{override.id}/", {"enabled": True}) == 404
    create = {**put, "feature_segment": feature_segment.id}
    assert stranger.status("POST", "/features/featurestates/", create) == 404
    status, body = stranger.call("GET", "/features/featurestates/", query={"environment": str(environment.id)})
    assert status == 404, body
    add = f"/projects/{project.id}/features/{feature.id}/add-group-owners/"
    assert stranger.status("POST", add, {"group_ids": [1]}) == 404
    default.refresh_from_db()
    assert default.enabled is False


def test_add_group_owners__another_organisations_group__400_nothing_added(go, other_organisation, tf_project):
    feature = _create_feature(go, tf_project, name="g")
    theirs = UserPermissionGroupFactory(organisation=other_organisation, name="theirs")

    status, body = go.call(
        "POST",
        f"/projects/{tf_project['id']}/features/{feature['id']}/add-group-owners/",
        {"group_ids": [theirs.id]},
    )

    assert status == 400
    assert "group_ids" in body
    assert _get_feature(go, feature["uuid"])["group_owners"] == []


def test_featurestates_create__without_feature_segment__400_says_where_defaults_change(go, tf_project, tf_environment):
    feature = _create_feature(go, tf_project, name="d")

    status, body = go.call(
        "POST",
        "/features/featurestates/",
        {"feature": feature["id"], "environment": tf_environment["id"], "enabled": True},
    )

    assert status == 400
    assert "feature_segment" in body


def test_featurestates_update__another_feature__400_unchanged(go, tf_project, tf_environment):
    feature = _create_feature(go, tf_project, name="one")
    other = _create_feature(go, tf_project, name="two")
    page = go.ok(
        "GET", f"/environments/{tf_environment['api_key']}/featurestates/", None, query={"feature": str(feature["id"])}
    )
    state = page["results"][0]

    status, body = go.call(
        "PUT",
        f"/features/featurestates/{state['id']}/",
        {"feature": other["id"], "environment": tf_environment["id"], "enabled": True},
    )

    assert status == 400
    assert "feature" in body
    assert FeatureState.objects.get(pk=state["id"]).feature_id == feature["id"]


def test_featurestates_list__environment_missing__400(go):
    status, body = go.call("GET", "/features/featurestates/")

    assert status == 400
    assert "environment" in body


def test_feature_create__enforce_feature_owners_without_owners__400(go, organisation):
    project = go.ok(
        "POST",
        "/projects/",
        "Project",
        marshal("Project", {"name": "Owned", "organisation": organisation.id, "enforce_feature_owners": True}),
    )
    member = MembershipFactory(organisation=organisation).user

    status, body = go.call(
        "POST",
        f"/projects/{project['id']}/features/",
        marshal("Feature", {"name": "f", "tags": [], "project": project["id"]}),
    )
    assert status == 400
    assert "owners" in body
    assert _create_feature(go, project, name="f", owners=[member.id])["owners"][0]["id"] == member.id


def test_feature_create__signed_in_user_without_owners__owns_it(admin_client, admin_user, project):
    response = admin_client.post(f"/api/v1/projects/{project.id}/features/", {"name": "mine"}, format="json")

    assert response.status_code == 201
    assert [owner["id"] for owner in response.json()["owners"]] == [admin_user.id]
    assert response.json()["owners"][0]["uuid"] == str(admin_user.uuid)


def test_get_by_uuid__member_without_view_environment__404(api_client_for, organisation, environment):
    member = MembershipFactory(organisation=organisation).user

    response = api_client_for(member).get(f"/api/v1/environments/get-by-uuid/{environment.uuid}/")

    assert response.status_code == 404


def test_get_by_uuid__not_a_uuid__404(go):
    assert go.status("GET", "/features/get-by-uuid/not-a-uuid/") == 404
    assert go.status("GET", "/projects/get-by-uuid/12345/") == 404


def test_featurestates_list__query_count__independent_of_state_count(
    go, tf_project, tf_environment, django_assert_max_num_queries
):
    for n in range(6):
        _create_feature(go, tf_project, name=f"q{n}")
    query = {"environment": str(tf_environment["id"])}

    with django_assert_max_num_queries(8):
        status, page = go.call("GET", "/features/featurestates/", query=query)

    assert status == 200
    assert page["count"] == 6
