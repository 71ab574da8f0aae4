"""Organisation API keys: revocation is final, expiry lies ahead, only a person mints admin keys.

Findings (issue 17): ``PATCH master-api-keys/<prefix>/ {"revoked": false}`` brought a
revoked key back; keys born already expired were accepted; a key could mint another
admin key.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from organisations.models import OrganisationAPIKey
from permissions.tests.factories import UserPermissionGroupFactory, make_api_key

pytestmark = pytest.mark.django_db


def _base(organisation) -> str:
    return f"/api/v1/organisations/{organisation.id}/master-api-keys/"


def _key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_revoked_key__patched_back_to_not_revoked__400_and_still_revoked(admin_client, organisation, project):
    api_key, plain = make_api_key(organisation, revoked=True)

    response = admin_client.patch(f"{_base(organisation)}{api_key.prefix}/", {"revoked": False}, format="json")

    assert response.status_code == 400
    assert "revoked" in response.json()
    assert OrganisationAPIKey.objects.get(pk=api_key.pk).revoked
    assert _key_client(plain).get(f"/api/v1/projects/{project.id}/").status_code == 401


def test_revoked_key__put_with_revoked_true_and_new_name__200(admin_client, organisation):
    api_key, _ = make_api_key(organisation, revoked=True)

    response = admin_client.put(
        f"{_base(organisation)}{api_key.prefix}/", {"name": "renamed", "revoked": True}, format="json"
    )

    assert response.status_code == 200
    assert OrganisationAPIKey.objects.get(pk=api_key.pk).name == "renamed"


def test_key__revoked_by_patch__200_and_refused_next_request(admin_client, organisation, project):
    api_key, plain = make_api_key(organisation)

    response = admin_client.patch(f"{_base(organisation)}{api_key.prefix}/", {"revoked": True}, format="json")

    assert response.status_code == 200
    assert _key_client(plain).get(f"/api/v1/projects/{project.id}/").status_code == 401


def test_create__expiry_in_the_past__400_and_no_key(admin_client, organisation):
    past = (timezone.now() - timedelta(minutes=1)).isoformat()

    response = admin_client.post(_base(organisation), {"name": "old", "expiry_date": past}, format="json")

    assert response.status_code == 400
    assert "expiry_date" in response.json()
    assert not OrganisationAPIKey.objects.exists()


def test_create__expiry_in_the_future__201(admin_client, organisation):
    future = (timezone.now() + timedelta(days=1)).isoformat()

    response = admin_client.post(_base(organisation), {"name": "new", "expiry_date": future}, format="json")

    assert response.status_code == 201


def test_update__expiry_moved_into_the_past__400(admin_client, organisation):
    api_key, _ = make_api_key(organisation)
    past = (timezone.now() - timedelta(minutes=1)).isoformat()

    response = admin_client.patch(f"{_base(organisation)}{api_key.prefix}/", {"expiry_date": past}, format="json")

    assert response.status_code == 400
    assert OrganisationAPIKey.objects.get(pk=api_key.pk).expiry_date is None


def test_update__expired_key_given_a_new_expiry__400_and_still_expired(admin_client, organisation):
    api_key, _ = make_api_key(organisation, expiry_date=timezone.now() - timedelta(minutes=1))
    future = (timezone.now() + timedelta(days=1)).isoformat()

    response = admin_client.patch(f"{_base(organisation)}{api_key.prefix}/", {"expiry_date": future}, format="json")

    assert response.status_code == 400
    assert OrganisationAPIKey.objects.get(pk=api_key.pk).has_expired


def test_update__expired_key_renamed_keeping_its_expiry__200(admin_client, organisation):
    api_key, _ = make_api_key(organisation, expiry_date=timezone.now() - timedelta(minutes=1))

    response = admin_client.put(
        f"{_base(organisation)}{api_key.prefix}/",
        {"name": "renamed", "expiry_date": api_key.expiry_date.isoformat()},
        format="json",
    )

    assert response.status_code == 200


def test_admin_key__creates_admin_key__403_and_no_key(organisation):
    _, plain = make_api_key(organisation)

    response = _key_client(plain).post(_base(organisation), {"name": "child"}, format="json")

    assert response.status_code == 403
    assert OrganisationAPIKey.objects.count() == 1


def test_admin_key__creates_key_for_a_group__201(organisation):
    _, plain = make_api_key(organisation)
    group = UserPermissionGroupFactory(organisation=organisation)

    response = _key_client(plain).post(
        _base(organisation), {"name": "ci", "is_admin": False, "group": group.id}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["is_admin"] is False


def test_admin_key__promotes_group_key_to_admin__403(organisation):
    _, plain = make_api_key(organisation)
    group = UserPermissionGroupFactory(organisation=organisation)
    group_key, _ = make_api_key(organisation, is_admin=False, group=group)

    response = _key_client(plain).patch(f"{_base(organisation)}{group_key.prefix}/", {"is_admin": True}, format="json")

    assert response.status_code == 403
    assert not OrganisationAPIKey.objects.get(pk=group_key.pk).is_admin


def test_user__creates_admin_key__201(admin_client, organisation):
    response = admin_client.post(_base(organisation), {"name": "terraform"}, format="json")

    assert response.status_code == 201
    assert response.json()["is_admin"] is True
