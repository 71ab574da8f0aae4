from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from environments.models import Environment, EnvironmentAPIKey, hash_server_key
from environments.tests.factories import EnvironmentFactory

pytestmark = pytest.mark.django_db

CLIENT_KEY = re.compile(r"^[A-Za-z0-9]{22}$")


def test_create_environment__admin__201_with_client_key(admin_client, project):
    response = admin_client.post("/api/v1/environments/", {"name": "Staging", "project": project.id}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert CLIENT_KEY.match(body["api_key"])
    assert body["allow_client_traits"] is True
    assert body["use_identity_composite_key_for_hashing"] is True
    assert body["use_identity_overrides_in_local_eval"] is True
    assert body["hide_disabled_flags"] is None


def test_create_environment__client_keys_are_unique(admin_client, project):
    keys = {
        admin_client.post("/api/v1/environments/", {"name": f"E{i}", "project": project.id}, format="json").json()[
            "api_key"
        ]
        for i in range(5)
    }

    assert len(keys) == 5


def test_create_environment__user_role__403_nothing_created(member_client, project):
    response = member_client.post("/api/v1/environments/", {"name": "Staging", "project": project.id}, format="json")

    assert response.status_code == 403
    assert not Environment.objects.filter(name="Staging").exists()


def test_create_environment__project_of_other_organisation__400(outsider_client, project):
    response = outsider_client.post("/api/v1/environments/", {"name": "X", "project": project.id}, format="json")

    assert response.status_code == 400
    assert "project" in response.json()
    assert not Environment.objects.filter(name="X").exists()


def test_create_environment__api_key_in_body__ignored(admin_client, project):
    response = admin_client.post(
        "/api/v1/environments/", {"name": "S", "project": project.id, "api_key": "chosen-by-me"}, format="json"
    )

    assert response.json()["api_key"] != "chosen-by-me"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"project": None}, "name"),
        ({"name": "x"}, "project"),
        ({"name": "x", "project": None, "allow_client_traits": "?"}, "allow_client_traits"),
    ],
)
def test_create_environment__bad_input__400_names_field(admin_client, project, payload, field):
    payload = {key: (project.id if key == "project" and value is None else value) for key, value in payload.items()}

    response = admin_client.post("/api/v1/environments/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_list_environments__without_project__400_names_project(admin_client, environment):
    response = admin_client.get("/api/v1/environments/")

    assert response.status_code == 400
    assert "project" in response.json()


def test_list_environments__by_project__paginated(member_client, project, environment):
    response = member_client.get(f"/api/v1/environments/?project={project.id}")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["api_key"] == environment.api_key


def test_list_environments__other_organisations_project__empty(outsider_client, project, environment):
    response = outsider_client.get(f"/api/v1/environments/?project={project.id}")

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_retrieve_environment__member__by_client_key(member_client, environment):
    response = member_client.get(f"/api/v1/environments/{environment.api_key}/")

    assert response.status_code == 200
    assert response.json()["name"] == "Production"


def test_update_environment__admin__settings_change(admin_client, environment):
    response = admin_client.patch(
        f"/api/v1/environments/{environment.api_key}/",
        {"allow_client_traits": False, "hide_disabled_flags": True},
        format="json",
    )

    assert response.status_code == 200
    environment.refresh_from_db()
    assert environment.allow_client_traits is False
    assert environment.hide_disabled_flags is True


def test_environment_protected__default_off__admin_turns_it_on(admin_client, project):
    created = admin_client.post("/api/v1/environments/", {"name": "Production", "project": project.id}, format="json")
    assert created.json()["protected"] is False

    response = admin_client.patch(
        f"/api/v1/environments/{created.json()['api_key']}/", {"protected": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["protected"] is True
    assert Environment.objects.get(api_key=created.json()["api_key"]).protected is True


def test_environment_protected__not_a_boolean__400_names_field(admin_client, environment):
    response = admin_client.patch(f"/api/v1/environments/{environment.api_key}/", {"protected": "maybe"}, format="json")

    assert response.status_code == 400
    assert "protected" in response.json()
    environment.refresh_from_db()
    assert environment.protected is False


def test_update_environment__user_role__403(member_client, environment):
    response = member_client.patch(f"/api/v1/environments/{environment.api_key}/", {"name": "Prod!"}, format="json")

    assert response.status_code == 403


def test_update_environment__move_project__400(admin_client, environment, organisation):
    from projects.tests.factories import ProjectFactory

    other_project = ProjectFactory(organisation=organisation)

    response = admin_client.patch(
        f"/api/v1/environments/{environment.api_key}/", {"project": other_project.id}, format="json"
    )

    assert response.status_code == 400
    environment.refresh_from_db()
    assert environment.project_id != other_project.id


def test_delete_environment__admin__204(admin_client, environment):
    assert admin_client.delete(f"/api/v1/environments/{environment.api_key}/").status_code == 204
    assert not Environment.objects.filter(pk=environment.pk).exists()


def test_create_server_key__admin__key_shown_once_and_stored_hashed(admin_client, environment):
    base = f"/api/v1/environments/{environment.api_key}/api-keys/"

    created = admin_client.post(base, {"name": "backend"}, format="json")
    listed = admin_client.get(base)

    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("ser.")
    assert len(key) > 30
    stored = EnvironmentAPIKey.objects.get(pk=created.json()["id"])
    assert stored.key_hash == hash_server_key(key)
    assert key not in str(EnvironmentAPIKey.objects.values().get(pk=stored.pk))
    assert listed.json()[0]["key"] is None
    assert listed.json()[0]["key_preview"] == key[:8]


def test_create_server_key__with_expiry__valid_until_then(admin_client, environment):
    expires = timezone.now() + timedelta(days=1)

    response = admin_client.post(
        f"/api/v1/environments/{environment.api_key}/api-keys/",
        {"name": "temp", "expires_at": expires.isoformat()},
        format="json",
    )

    stored = EnvironmentAPIKey.objects.get(pk=response.json()["id"])
    assert stored.is_valid
    assert EnvironmentAPIKey.objects.valid().get_by_key(response.json()["key"]) == stored


def test_server_key__deactivated_or_expired__not_valid(admin_client, environment, server_key):
    base = f"/api/v1/environments/{environment.api_key}/api-keys/{server_key.id}/"

    response = admin_client.patch(base, {"active": False}, format="json")

    assert response.status_code == 200
    assert not EnvironmentAPIKey.objects.valid().filter(pk=server_key.pk).exists()
    server_key.refresh_from_db()
    server_key.active = True
    server_key.expires_at = timezone.now() - timedelta(seconds=1)
    server_key.save()
    assert not EnvironmentAPIKey.objects.valid().filter(pk=server_key.pk).exists()


def test_server_key__missing_name__400(admin_client, environment):
    response = admin_client.post(f"/api/v1/environments/{environment.api_key}/api-keys/", {}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()
    assert not EnvironmentAPIKey.objects.exists()


def test_server_keys__user_role__403_for_list_and_create(member_client, environment, server_key):
    base = f"/api/v1/environments/{environment.api_key}/api-keys/"

    assert member_client.get(base).status_code == 403
    assert member_client.post(base, {"name": "x"}, format="json").status_code == 403
    assert member_client.delete(f"{base}{server_key.id}/").status_code == 403


def test_delete_server_key__admin__204(admin_client, environment, server_key):
    response = admin_client.delete(f"/api/v1/environments/{environment.api_key}/api-keys/{server_key.id}/")

    assert response.status_code == 204
    assert not EnvironmentAPIKey.objects.exists()


def test_server_key__of_another_environment__404(admin_client, environment, server_key, project):
    sibling = EnvironmentFactory(project=project)

    response = admin_client.get(f"/api/v1/environments/{sibling.api_key}/api-keys/{server_key.id}/")

    assert response.status_code == 404
