from __future__ import annotations

import pytest

from projects.models import Project
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_create_project__organisation_admin__201(admin_client, organisation):
    response = admin_client.post(
        "/api/v1/projects/", {"name": "Mobile", "organisation": organisation.id}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["organisation"] == organisation.id
    assert body["hide_disabled_flags"] is False
    assert body["use_edge_identities"] is False


def test_create_project__user_role__403_nothing_created(member_client, organisation):
    response = member_client.post(
        "/api/v1/projects/", {"name": "Mobile", "organisation": organisation.id}, format="json"
    )

    assert response.status_code == 403
    assert not Project.objects.filter(name="Mobile").exists()


def test_create_project__other_organisation__400_without_leak(outsider_client, organisation):
    response = outsider_client.post(
        "/api/v1/projects/", {"name": "Sneaky", "organisation": organisation.id}, format="json"
    )

    assert response.status_code == 400
    assert "organisation" in response.json()
    assert "Acme" not in response.content.decode()
    assert not Project.objects.filter(name="Sneaky").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"organisation": 1}, "name"),
        ({"name": "x"}, "organisation"),
        ({"name": "x", "organisation": "abc"}, "organisation"),
        ({"name": "x" * 3000, "organisation": None}, "name"),
        ({"name": "x", "organisation": None, "feature_name_regex": "(["}, "feature_name_regex"),
        ({"name": "x", "organisation": None, "hide_disabled_flags": "sometimes"}, "hide_disabled_flags"),
    ],
)
def test_create_project__bad_input__400_names_field(admin_client, organisation, payload, field):
    payload = {
        key: (organisation.id if key == "organisation" and value is None else value) for key, value in payload.items()
    }

    response = admin_client.post("/api/v1/projects/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Project.objects.exists()


def test_create_project__malformed_json__400_json(admin_client):
    response = admin_client.generic("POST", "/api/v1/projects/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_list_projects__member__plain_list_of_own_projects(member_client, project, other_project):
    response = member_client.get("/api/v1/projects/")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [project.id]


def test_list_projects__filter_by_organisation(admin_client, organisation, project):
    mine = admin_client.get(f"/api/v1/projects/?organisation={organisation.id}")
    unknown = admin_client.get("/api/v1/projects/?organisation=999999")

    assert [item["id"] for item in mine.json()] == [project.id]
    assert unknown.status_code in (200, 400)
    assert unknown.status_code == 400 or unknown.json() == []


def test_update_project__admin__200(admin_client, project):
    response = admin_client.patch(f"/api/v1/projects/{project.id}/", {"hide_disabled_flags": True}, format="json")

    assert response.status_code == 200
    project.refresh_from_db()
    assert project.hide_disabled_flags is True


def test_update_project__move_to_other_organisation__400(admin_client, project, outsider_user, admin_user):
    other = ProjectFactory().organisation
    other.memberships.create(user=admin_user, role="ADMIN")

    response = admin_client.patch(f"/api/v1/projects/{project.id}/", {"organisation": other.id}, format="json")

    assert response.status_code == 400
    project.refresh_from_db()
    assert project.organisation_id != other.id


def test_update_project__user_role__403(member_client, project):
    response = member_client.patch(f"/api/v1/projects/{project.id}/", {"name": "Mine now"}, format="json")

    assert response.status_code == 403
    project.refresh_from_db()
    assert project.name == "Web"


def test_delete_project__admin__204_user__403(admin_client, member_client, project):
    assert member_client.delete(f"/api/v1/projects/{project.id}/").status_code == 403
    assert admin_client.delete(f"/api/v1/projects/{project.id}/").status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()


def test_project_environments__member__lists(member_client, project, environment):
    response = member_client.get(f"/api/v1/projects/{project.id}/environments/")

    assert response.status_code == 200
    assert [item["api_key"] for item in response.json()] == [environment.api_key]


def test_list_projects__query_count_does_not_grow_with_projects(
    admin_client, organisation, django_assert_max_num_queries
):
    ProjectFactory.create_batch(20, organisation=organisation)

    with django_assert_max_num_queries(3):
        response = admin_client.get("/api/v1/projects/")

    assert len(response.json()) == 20
