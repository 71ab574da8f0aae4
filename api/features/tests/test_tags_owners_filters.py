"""Tags, feature owners and the feature list's filters."""

from __future__ import annotations

import pytest

from features import services
from features.models import Feature, Tag
from features.tests.factories import FeatureFactory, TagFactory
from organisations.tests.factories import MembershipFactory
from projects.tests.factories import ProjectFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def tags_url(project, tag=None):
    base = f"/api/v1/projects/{project.id}/tags/"
    return base if tag is None else f"{base}{tag.id}/"


def features_url(project, feature=None, action=None):
    url = f"/api/v1/projects/{project.id}/features/"
    if feature is not None:
        url += f"{feature.id}/"
    if action is not None:
        url += f"{action}/"
    return url


# --- Tags --------------------------------------------------------------------------


def test_create_tag__admin__201_with_fields(admin_client, project):
    response = admin_client.post(
        tags_url(project), {"label": " beta ", "color": "#ff0000", "description": "Early access"}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "uuid", "label", "color", "description", "project"}
    assert body["label"] == "beta"
    assert body["project"] == project.id
    assert Tag.objects.get(pk=body["id"]).project == project


def test_create_tag__without_color__gets_default(admin_client, project):
    response = admin_client.post(tags_url(project), {"label": "beta"})

    assert response.status_code == 201
    assert response.json()["color"] == "#6837FC"


def test_create_tag__member__403_and_nothing_written(member_client, project):
    response = member_client.post(tags_url(project), {"label": "beta"})

    assert response.status_code == 403
    assert not Tag.objects.exists()


def test_list_tags__member__sees_only_this_projects_tags(member_client, project):
    mine = TagFactory(project=project)
    TagFactory(project=ProjectFactory(organisation=project.organisation))

    response = member_client.get(tags_url(project))

    assert response.status_code == 200
    assert [tag["id"] for tag in response.json()["results"]] == [mine.id]


def test_retrieve_tag__member__200(member_client, project):
    tag = TagFactory(project=project, label="beta")

    response = member_client.get(tags_url(project, tag))

    assert response.status_code == 200
    assert response.json()["label"] == "beta"


def test_create_tag__label_taken__201_both_kept(admin_client, project):
    # Flagsmith keeps no uniqueness on tag labels (projects/tags/models.py: only system tags).
    TagFactory(project=project, label="Beta")

    response = admin_client.post(tags_url(project), {"label": "Beta"})

    assert response.status_code == 201
    assert list(Tag.objects.values_list("label", flat=True)) == ["Beta", "Beta"]


def test_create_tag__same_label_in_another_project__201(admin_client, project):
    TagFactory(project=ProjectFactory(organisation=project.organisation), label="beta")

    response = admin_client.post(tags_url(project), {"label": "beta"})

    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [{}, {"label": ""}, {"label": "   "}, {"label": "x" * 101}, {"label": "ok", "color": "#" + "f" * 20}],
)
def test_create_tag__bad_input__400_json(admin_client, project, body):
    response = admin_client.post(tags_url(project), body)

    assert response.status_code == 400
    assert set(response.json()) <= {"label", "color"}
    assert not Tag.objects.exists()


def test_update_tag__own_label_in_other_case__200(admin_client, project):
    tag = TagFactory(project=project, label="beta")

    response = admin_client.patch(tags_url(project, tag), {"label": "Beta", "color": "#000000"})

    assert response.status_code == 200
    tag.refresh_from_db()
    assert (tag.label, tag.color) == ("Beta", "#000000")


def test_update_tag__project_in_body__ignored(admin_client, project):
    tag = TagFactory(project=project)
    other = ProjectFactory(organisation=project.organisation)

    response = admin_client.patch(tags_url(project, tag), {"project": other.id})

    assert response.status_code == 200
    tag.refresh_from_db()
    assert tag.project == project


def test_delete_tag__admin__204_and_features_keep_existing(admin_client, project):
    tag = TagFactory(project=project)
    feature = FeatureFactory(project=project)
    feature.tags.add(tag)

    response = admin_client.delete(tags_url(project, tag))

    assert response.status_code == 204
    assert not Tag.objects.exists()
    assert Feature.objects.filter(pk=feature.pk).exists()


# --- Feature tags ------------------------------------------------------------------


def test_create_feature__with_tags__201_and_tags_read_back(admin_client, project):
    tags = [TagFactory(project=project), TagFactory(project=project)]

    response = admin_client.post(features_url(project), {"name": "checkout", "tags": [tag.id for tag in tags]})

    assert response.status_code == 201, response.json()
    assert sorted(response.json()["tags"]) == sorted(tag.id for tag in tags)
    assert set(Feature.objects.get(pk=response.json()["id"]).tags.all()) == set(tags)


def test_create_feature__tag_of_another_project__400_naming_tags_and_nothing_written(admin_client, project):
    foreign = TagFactory(project=ProjectFactory(organisation=project.organisation))

    response = admin_client.post(features_url(project), {"name": "checkout", "tags": [foreign.id]})

    assert response.status_code == 400
    assert "tags" in response.json()
    assert str(foreign.id) in str(response.json()["tags"])
    assert not Feature.objects.exists()


@pytest.mark.parametrize("tags", [["abc"], "abc", [None], [99999]])
def test_create_feature__bad_tags__400_naming_tags(admin_client, project, tags):
    response = admin_client.post(features_url(project), {"name": "checkout", "tags": tags})

    assert response.status_code == 400
    assert "tags" in response.json()
    assert not Feature.objects.exists()


def test_update_feature__tags__replaced(admin_client, project, admin_user):
    old, new = TagFactory(project=project), TagFactory(project=project)
    feature = services.create_feature(project, {"name": "checkout", "tags": [old]}, admin_user)

    response = admin_client.patch(features_url(project, feature), {"tags": [new.id]})

    assert response.status_code == 200, response.json()
    assert response.json()["tags"] == [new.id]
    assert list(feature.tags.all()) == [new]


def test_update_feature__without_tags__keeps_them(admin_client, project, admin_user):
    tag = TagFactory(project=project)
    feature = services.create_feature(project, {"name": "checkout", "tags": [tag]}, admin_user)

    response = admin_client.patch(features_url(project, feature), {"description": "now described"})

    assert response.status_code == 200
    assert response.json()["tags"] == [tag.id]


def test_update_feature__empty_tags__clears_them(admin_client, project, admin_user):
    feature = services.create_feature(project, {"name": "checkout", "tags": [TagFactory(project=project)]}, admin_user)

    response = admin_client.patch(features_url(project, feature), {"tags": []})

    assert response.status_code == 200
    assert not feature.tags.exists()


def test_update_feature__foreign_tag__400_and_tags_unchanged(admin_client, project, admin_user):
    tag = TagFactory(project=project)
    feature = services.create_feature(project, {"name": "checkout", "tags": [tag]}, admin_user)
    foreign = TagFactory(project=ProjectFactory(organisation=project.organisation))

    response = admin_client.patch(features_url(project, feature), {"tags": [foreign.id], "description": "x"})

    assert response.status_code == 400
    assert list(feature.tags.all()) == [tag]
    feature.refresh_from_db()
    assert feature.description is None


# --- Owners ------------------------------------------------------------------------


def test_add_owners__members__200_with_owner_details(admin_client, project, admin_user, member_user):
    feature = FeatureFactory(project=project)

    response = admin_client.post(
        features_url(project, feature, "add-owners"), {"user_ids": [member_user.id, admin_user.id]}
    )

    assert response.status_code == 200, response.json()
    owners = sorted(response.json()["owners"], key=lambda owner: owner["id"])
    assert owners == sorted(
        (
            {
                "id": user.id,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "last_login": None,
                "uuid": str(user.uuid),
            }
            for user in (member_user, admin_user)
        ),
        key=lambda owner: owner["id"],
    )
    assert set(feature.owners.all()) == {member_user, admin_user}


def test_add_owners__already_owner__200_still_once(admin_client, project, member_user):
    feature = FeatureFactory(project=project)
    feature.owners.add(member_user)

    response = admin_client.post(features_url(project, feature, "add-owners"), {"user_ids": [member_user.id]})

    assert response.status_code == 200
    assert feature.owners.count() == 1


def test_add_owners__non_member__400_naming_ids_and_nothing_added(admin_client, project, member_user, outsider_user):
    feature = FeatureFactory(project=project)
    stranger = UserFactory()

    response = admin_client.post(
        features_url(project, feature, "add-owners"),
        {"user_ids": [member_user.id, outsider_user.id, stranger.id, 999999]},
    )

    assert response.status_code == 400
    refused = ", ".join(str(user_id) for user_id in sorted((outsider_user.id, stranger.id, 999999)))
    assert response.json() == {"user_ids": [f"Not members of the feature's organisation: {refused}."]}
    assert not feature.owners.exists()


@pytest.mark.parametrize("body", [{}, {"user_ids": []}, {"user_ids": "1"}, {"user_ids": ["abc"]}, [1]])
def test_add_owners__bad_body__400_naming_user_ids(admin_client, project, body):
    feature = FeatureFactory(project=project)

    response = admin_client.post(features_url(project, feature, "add-owners"), body, format="json")

    assert response.status_code == 400
    assert response.json()
    assert not feature.owners.exists()


def test_add_owners__member__403(member_client, project, member_user):
    feature = FeatureFactory(project=project)

    response = member_client.post(features_url(project, feature, "add-owners"), {"user_ids": [member_user.id]})

    assert response.status_code == 403
    assert not feature.owners.exists()


def test_remove_owners__admin__200_and_only_those_removed(admin_client, project, admin_user, member_user):
    feature = FeatureFactory(project=project)
    feature.owners.add(admin_user, member_user)

    response = admin_client.post(features_url(project, feature, "remove-owners"), {"user_ids": [member_user.id]})

    assert response.status_code == 200, response.json()
    assert [owner["id"] for owner in response.json()["owners"]] == [admin_user.id]
    assert list(feature.owners.all()) == [admin_user]


def test_remove_owners__member_not_owner__200_noop(admin_client, project, member_user):
    feature = FeatureFactory(project=project)

    response = admin_client.post(features_url(project, feature, "remove-owners"), {"user_ids": [member_user.id]})

    assert response.status_code == 200


def test_remove_owners__former_member_still_owner__removed(admin_client, project, organisation):
    feature = FeatureFactory(project=project)
    leaver = MembershipFactory(organisation=organisation).user
    feature.owners.add(leaver)
    leaver.memberships.all().delete()

    response = admin_client.post(features_url(project, feature, "remove-owners"), {"user_ids": [leaver.id]})

    assert response.status_code == 200
    assert not feature.owners.exists()


def test_remove_owners__non_member__400_and_nothing_removed(admin_client, project, member_user, outsider_user):
    feature = FeatureFactory(project=project)
    feature.owners.add(member_user)

    response = admin_client.post(
        features_url(project, feature, "remove-owners"), {"user_ids": [member_user.id, outsider_user.id]}
    )

    assert response.status_code == 400
    assert str(outsider_user.id) in str(response.json()["user_ids"])
    assert list(feature.owners.all()) == [member_user]


def test_remove_owners__member__403(member_client, project, member_user):
    feature = FeatureFactory(project=project)
    feature.owners.add(member_user)

    response = member_client.post(features_url(project, feature, "remove-owners"), {"user_ids": [member_user.id]})

    assert response.status_code == 403
    assert feature.owners.exists()


def test_update_feature__owners_in_body__ignored(admin_client, project, member_user):
    feature = FeatureFactory(project=project)

    response = admin_client.patch(features_url(project, feature), {"owners": [member_user.id]}, format="json")

    assert response.status_code == 200
    assert not feature.owners.exists()


# --- Filters -----------------------------------------------------------------------


def listed_names(client, project, query):
    response = client.get(features_url(project), query)
    assert response.status_code == 200, response.json()
    return [feature["name"] for feature in response.json()["results"]]


@pytest.fixture
def catalogue(project):
    """Four features, created in this order, with tags a, b and archived/type variety."""
    tag_a, tag_b = TagFactory(project=project, label="a"), TagFactory(project=project, label="b")
    features = {
        "Zeta": FeatureFactory(project=project, name="Zeta"),
        "alpha": FeatureFactory(project=project, name="alpha", is_archived=True),
        "Beta_checkout": FeatureFactory(project=project, name="Beta_checkout", type="MULTIVARIATE"),
        "gamma": FeatureFactory(project=project, name="gamma"),
    }
    features["Zeta"].tags.add(tag_a)
    features["alpha"].tags.add(tag_a, tag_b)
    features["Beta_checkout"].tags.add(tag_b)
    return {"a": tag_a, "b": tag_b, **features}


def test_list_features__no_filters__all_in_creation_order(member_client, project, catalogue):
    assert listed_names(member_client, project, {}) == ["Zeta", "alpha", "Beta_checkout", "gamma"]


def test_list_features__search__name_contains_any_case(member_client, project, catalogue):
    assert listed_names(member_client, project, {"search": "CHECK"}) == ["Beta_checkout"]


def test_list_features__one_tag__features_with_it(member_client, project, catalogue):
    assert listed_names(member_client, project, {"tags": str(catalogue["a"].id)}) == ["Zeta", "alpha"]


def test_list_features__tags_union__any_of_them_once_each(member_client, project, catalogue):
    query = {"tags": f"{catalogue['a'].id},{catalogue['b'].id}", "tag_strategy": "UNION"}

    assert listed_names(member_client, project, query) == ["Zeta", "alpha", "Beta_checkout"]


def test_list_features__tags_without_strategy__all_of_them_as_flagsmith(member_client, project, catalogue):
    # Flagsmith's FeatureQuerySerializer: tag_strategy defaults to INTERSECTION.
    query = {"tags": f"{catalogue['a'].id},{catalogue['b'].id}"}

    assert listed_names(member_client, project, query) == ["alpha"]


def test_list_features__tags_intersection__all_of_them(member_client, project, catalogue):
    query = {"tags": f"{catalogue['a'].id}, {catalogue['b'].id}", "tag_strategy": "INTERSECTION"}

    assert listed_names(member_client, project, query) == ["alpha"]


def test_list_features__unknown_tag_id__empty(member_client, project, catalogue):
    assert listed_names(member_client, project, {"tags": "999999"}) == []


def test_list_features__is_archived(member_client, project, catalogue):
    assert listed_names(member_client, project, {"is_archived": "true"}) == ["alpha"]
    assert listed_names(member_client, project, {"is_archived": "false"}) == ["Zeta", "Beta_checkout", "gamma"]


def test_list_features__type(member_client, project, catalogue):
    assert listed_names(member_client, project, {"type": "MULTIVARIATE"}) == ["Beta_checkout"]
    assert listed_names(member_client, project, {"type": "STANDARD"}) == ["Zeta", "alpha", "gamma"]


def test_list_features__sort_by_name__case_insensitive(member_client, project, catalogue):
    assert listed_names(member_client, project, {"sort_field": "name"}) == ["alpha", "Beta_checkout", "gamma", "Zeta"]
    assert listed_names(member_client, project, {"sort_field": "name", "sort_direction": "DESC"}) == [
        "Zeta",
        "gamma",
        "Beta_checkout",
        "alpha",
    ]


def test_list_features__sort_by_created_date_desc__newest_first(member_client, project, catalogue):
    query = {"sort_field": "created_date", "sort_direction": "DESC"}

    assert listed_names(member_client, project, query) == ["gamma", "Beta_checkout", "alpha", "Zeta"]


def test_list_features__sort_direction_alone__applies_to_id_order(member_client, project, catalogue):
    assert listed_names(member_client, project, {"sort_direction": "DESC"}) == [
        "gamma",
        "Beta_checkout",
        "alpha",
        "Zeta",
    ]


def test_list_features__filters_combined(member_client, project, catalogue):
    query = {"tags": str(catalogue["b"].id), "is_archived": "false", "search": "beta"}

    assert listed_names(member_client, project, query) == ["Beta_checkout"]


def test_list_features__empty_parameters__ignored(member_client, project, catalogue):
    query = {"tags": "", "is_archived": "", "type": "", "sort_field": "", "sort_direction": "", "tag_strategy": ""}

    assert listed_names(member_client, project, query) == ["Zeta", "alpha", "Beta_checkout", "gamma"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"tags": "abc"}, "tags"),
        ({"tags": "1,x"}, "tags"),
        ({"tags": "1.5"}, "tags"),
        ({"tags": "-1"}, "tags"),
        ({"tags": ","}, "tags"),
        ({"tag_strategy": "BOTH"}, "tag_strategy"),
        ({"is_archived": "maybe"}, "is_archived"),
        ({"type": "FLOAT"}, "type"),
        ({"sort_field": "bogus"}, "sort_field"),
        ({"sort_direction": "UP"}, "sort_direction"),
    ],
)
def test_list_features__invalid_parameter__400_naming_it(member_client, project, catalogue, query, parameter):
    response = member_client.get(features_url(project), query)

    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_list_features__with_tags_and_owners__query_count_does_not_grow(
    member_client, project, catalogue, member_user, django_assert_max_num_queries
):
    for name in ("Zeta", "alpha", "Beta_checkout", "gamma"):
        catalogue[name].owners.add(member_user)

    with django_assert_max_num_queries(7):  # group owners are one more prefetch
        response = member_client.get(features_url(project), {"tags": str(catalogue["a"].id), "sort_field": "name"})

    assert response.status_code == 200
    assert response.json()["results"][0]["owners"][0]["email"] == member_user.email
