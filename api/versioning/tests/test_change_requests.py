"""Change requests (four eyes): direct writes refused, A proposes, A cannot approve, B approves, A commits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditLog
from environments.models import Environment
from features import services as feature_services
from features.models import Feature, FeatureState
from organisations.models import OrganisationRole
from organisations.tests.factories import MembershipFactory
from permissions.models import (
    APPROVE_CHANGE_REQUEST,
    CREATE_CHANGE_REQUEST,
    UPDATE_FEATURE_STATE,
    VIEW_ENVIRONMENT,
    VIEW_PROJECT,
)
from permissions.tests.factories import grant
from projects.models import Project
from users.models import User
from versioning import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def feature(project: Project, environment: Environment, admin_user: User) -> Feature:
    return feature_services.create_feature(
        project, {"name": "checkout", "initial_value": "blue", "default_enabled": True}, admin_user
    )


@pytest.fixture
def guarded(environment: Environment, feature: Feature, admin_user: User) -> Environment:
    environment = services.enable_v2_versioning(environment, admin_user)
    Environment.objects.filter(pk=environment.pk).update(minimum_change_request_approvals=1)
    environment.refresh_from_db()
    return environment


def _member(organisation, project, environment, keys) -> tuple[User, APIClient]:
    user = MembershipFactory(organisation=organisation, role=OrganisationRole.USER).user
    grant(user, project, [VIEW_PROJECT])
    grant(user, environment, [VIEW_ENVIRONMENT, *keys])
    client = APIClient()
    client.force_authenticate(user)
    return user, client


def _served(environment: Environment) -> str:
    response = APIClient().get("/api/v1/flags/", HTTP_X_ENVIRONMENT_KEY=environment.api_key)
    return next(item["feature_state_value"] for item in response.json() if item["feature"]["name"] == "checkout")


def _draft(client: APIClient, environment: Environment, feature: Feature, value: str, **extra) -> dict:
    response = client.post(
        f"/api/v1/environments/{environment.pk}/features/{feature.pk}/versions/",
        {"feature_states_to_update": [{"feature_state_value": value}], **extra},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_direct_writes__when_approvals_are_required__refused_naming_the_change_request_path(
    guarded: Environment, feature: Feature, admin_client: APIClient
):
    state = FeatureState.objects.get(environment=guarded, feature=feature, feature_segment=None, identity=None)
    response = admin_client.patch(f"/api/v1/features/featurestates/{state.pk}/", {"enabled": False}, format="json")
    assert response.status_code == 403
    path = f"/api/v1/environments/{guarded.api_key}/create-change-request/"
    assert response.json()["change_request_path"] == path
    draft = _draft(admin_client, guarded, feature, "red")
    published = admin_client.post(
        f"/api/v1/environments/{guarded.pk}/features/{feature.pk}/versions/{draft['uuid']}/publish/", {}, format="json"
    )
    assert published.status_code == 403
    assert path in published.json()["detail"]
    assert _served(guarded) == "blue"


def test_four_eyes__author_cannot_approve__another_user_approves__author_commits(
    guarded: Environment, feature: Feature, organisation, project, django_capture_on_commit_callbacks
):
    author, author_client = _member(
        organisation, project, guarded, [CREATE_CHANGE_REQUEST, UPDATE_FEATURE_STATE, APPROVE_CHANGE_REQUEST]
    )
    reviewer, reviewer_client = _member(organisation, project, guarded, [APPROVE_CHANGE_REQUEST])
    draft = _draft(author_client, guarded, feature, "red")
    with django_capture_on_commit_callbacks(execute=True):
        created = author_client.post(
            f"/api/v1/environments/{guarded.api_key}/create-change-request/",
            {
                "title": "Make it red",
                "description": "for the sale",
                "environment_feature_versions": [draft["uuid"]],
                "approvals": [{"user": reviewer.pk}],
            },
            format="json",
        )
    assert created.status_code == 201, created.content
    change_request = created.json()
    assert change_request["user"] == author.pk and change_request["is_approved"] is False
    assert [approval["user"] for approval in change_request["approvals"]] == [reviewer.pk]
    assert mail.outbox and mail.outbox[-1].to == [reviewer.email]
    url = f"/api/v1/features/workflows/change-requests/{change_request['id']}/"

    early = author_client.post(f"{url}commit/")
    assert early.status_code == 400 and "approval" in early.json()["detail"]
    own = author_client.post(f"{url}approve/")
    assert own.status_code == 400
    assert own.json() == {"detail": "User cannot approve their own Change Request."}
    assert reviewer_client.post(f"{url}commit/").status_code == 403  # no UPDATE_FEATURE_STATE
    approved = reviewer_client.post(f"{url}approve/")
    assert approved.status_code == 200 and approved.json()["is_approved"] is True
    assert _served(guarded) == "blue"

    committed = author_client.post(f"{url}commit/")
    assert committed.status_code == 200, committed.content
    assert committed.json()["committed_by"] == author.pk
    assert _served(guarded) == "red"
    listed = author_client.get(f"/api/v1/environments/{guarded.api_key}/list-change-requests/?committed=true").json()
    assert [item["id"] for item in listed["results"]] == [change_request["id"]]
    assert author_client.post(f"{url}commit/").status_code == 400  # committed once
    logs = list(
        AuditLog.objects.filter(related_object_type="CHANGE_REQUEST").order_by("id").values_list("log", flat=True)
    )
    assert logs == [
        "Change Request: Make it red created",
        "Change Request: Make it red approved",
        "Change Request: Make it red committed",
    ]


def test_commit__a_scheduled_draft__goes_live_at_its_live_from(
    guarded: Environment, feature: Feature, admin_client: APIClient, organisation, project
):
    _reviewer, reviewer_client = _member(organisation, project, guarded, [APPROVE_CHANGE_REQUEST])
    live_from = timezone.now() + timedelta(hours=1)
    draft = _draft(admin_client, guarded, feature, "tomorrow", live_from=live_from.isoformat())
    change_request = admin_client.post(
        f"/api/v1/environments/{guarded.api_key}/create-change-request/",
        {"title": "Later", "environment_feature_versions": [draft["uuid"]]},
        format="json",
    ).json()
    url = f"/api/v1/features/workflows/change-requests/{change_request['id']}/"
    reviewer_client.post(f"{url}approve/")
    assert admin_client.post(f"{url}commit/").status_code == 200
    scheduled = admin_client.get(f"/api/v1/environments/{guarded.api_key}/scheduled-changes/").json()
    assert [item["uuid"] for item in scheduled] == [draft["uuid"]]
    assert _served(guarded) == "blue"
    assert services.apply_due(now=live_from) == 1
    assert (
        FeatureState.objects.get(
            environment=guarded, feature=feature, feature_segment=None, identity=None
        ).feature_state_value.value
        == "tomorrow"
    )


def test_create__bad_input__400_and_nothing_written(guarded: Environment, feature: Feature, admin_client: APIClient):
    url = f"/api/v1/environments/{guarded.api_key}/create-change-request/"
    assert admin_client.post(url, {"title": "x", "environment_feature_versions": []}, format="json").status_code == 400
    unknown = admin_client.post(
        url, {"title": "x", "environment_feature_versions": ["00000000-0000-0000-0000-000000000000"]}, format="json"
    )
    assert unknown.status_code == 400
    draft = _draft(admin_client, guarded, feature, "red")
    first = admin_client.post(url, {"title": "one", "environment_feature_versions": [draft["uuid"]]}, format="json")
    assert first.status_code == 201
    second = admin_client.post(url, {"title": "two", "environment_feature_versions": [draft["uuid"]]}, format="json")
    assert second.status_code == 400  # the draft belongs to the first request
    listed = admin_client.get(f"/api/v1/environments/{guarded.api_key}/list-change-requests/").json()
    assert [item["title"] for item in listed["results"]] == ["one"]
    deleted = admin_client.delete(f"/api/v1/features/workflows/change-requests/{first.json()['id']}/")
    assert deleted.status_code == 204
    assert admin_client.get(f"/api/v1/environments/{guarded.api_key}/list-change-requests/").json()["results"] == []
