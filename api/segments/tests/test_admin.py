from __future__ import annotations

import pytest
from django.test import Client

from environments.models import Environment
from segments.models import Segment
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_segment_admin__changelist_and_change_page__show_the_tree(superuser_client, segment):
    changelist = superuser_client.get("/admin/segments/segment/", {"q": "beta"})
    change = superuser_client.get(f"/admin/segments/segment/{segment.pk}/change/")

    assert changelist.status_code == 200 and "beta users" in changelist.content.decode()
    assert change.status_code == 200
    assert "PERCENTAGE_SPLIT" in change.content.decode()


def test_segment_admin__delete__bumps_environments(superuser_client, segment, environment):
    before = Environment.objects.get(pk=environment.pk).updated_at

    response = superuser_client.post(f"/admin/segments/segment/{segment.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Segment.objects.exists()
    assert Environment.objects.get(pk=environment.pk).updated_at > before
