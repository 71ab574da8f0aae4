"""The environment document shown to members: identity overrides only for those who may see identities."""

from __future__ import annotations

import pytest

from features import services as feature_services
from identities.services import create_identity_override
from identities.tests.factories import IdentityFactory
from organisations.models import OrganisationRole
from organisations.tests.factories import MembershipFactory
from permissions.models import VIEW_ENVIRONMENT, VIEW_PROJECT
from permissions.tests.factories import grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def overridden_environment(project, environment, admin_user):
    environment.use_identity_overrides_in_local_eval = True
    environment.save()
    feature = feature_services.create_feature(project, {"name": "vip"}, admin_user)
    identity = IdentityFactory(environment=environment, identifier="ceo@example.com")
    create_identity_override(identity, feature, {"enabled": True, "feature_state_value": "gold"}, admin_user)
    return environment


def document_for(api_client_for, user, environment):
    response = api_client_for(user).get(f"/api/v1/environments/{environment.api_key}/document/")
    assert response.status_code == 200, response.content
    return response


def test_document__member_with_view_identities__identity_overrides_shown(
    api_client_for, member_user, overridden_environment
) -> None:
    response = document_for(api_client_for, member_user, overridden_environment)
    (override,) = response.json()["identity_overrides"]
    assert override["identifier"] == "ceo@example.com"


def test_document__member_without_view_identities__identity_overrides_omitted(
    api_client_for, organisation, project, overridden_environment
) -> None:
    viewer = MembershipFactory(organisation=organisation, role=OrganisationRole.USER).user
    grant(viewer, project, [VIEW_PROJECT])
    grant(viewer, overridden_environment, [VIEW_ENVIRONMENT])
    response = document_for(api_client_for, viewer, overridden_environment)
    body = response.json()
    assert body["identity_overrides"] == []
    assert "ceo@example.com" not in response.content.decode()
    assert [state["feature"]["name"] for state in body["feature_states"]] == ["vip"]
    # The identities endpoints agree: this member may not see identities.
    identities = api_client_for(viewer).get(f"/api/v1/environments/{overridden_environment.api_key}/identities/")
    assert identities.status_code == 403


def test_document__admin__identity_overrides_shown(api_client_for, admin_user, overridden_environment) -> None:
    assert len(document_for(api_client_for, admin_user, overridden_environment).json()["identity_overrides"]) == 1
