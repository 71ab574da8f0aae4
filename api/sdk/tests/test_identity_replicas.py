"""GET /identities/ reads the identity and its traits from a read replica, with read-your-writes.

The replica is a clone of the test database taken mid-test (core.tests.test_replicas):
what a read returns proves which database served it.
"""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from core import replicas
from core.tests.test_replicas import ReplicaDatabases, replica_databases  # noqa: F401 - fixture
from documents import caching
from identities.models import Trait

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PATH = "/api/v1/identities/?identifier=ann"


def _plan(client: APIClient, path: str = PATH) -> str | None:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return {trait["trait_key"]: trait["trait_value"] for trait in response.json()["traits"]}.get("plan")


def _post_plan(client: APIClient, plan: str, identifier: str = "ann") -> None:
    response = client.post(
        "/api/v1/identities/",
        {"identifier": identifier, "traits": [{"trait_key": "plan", "trait_value": plan}]},
        format="json",
    )
    assert response.status_code == 200, response.content


@pytest.fixture
def ann_on_a_replica(replica_databases: ReplicaDatabases, client_key_client: APIClient) -> APIClient:  # noqa: F811
    """ann (plan "free") on the primary and on a replica cloned from it, then changed on the replica only."""
    _post_plan(client_key_client, "free")
    replica_databases.add_clone("replica_1")
    Trait.objects.using("replica_1").filter(trait_key="plan").update(string_value="as on the replica")
    caching.forget_everything_in_process()  # no write of ann is recent any more
    replicas.reset_request_state()
    return client_key_client


def test_get_identity__not_written_lately__read_from_the_replica(ann_on_a_replica: APIClient) -> None:
    assert _plan(ann_on_a_replica) == "as on the replica"
    assert _plan(ann_on_a_replica, PATH + "&transient=1") == "as on the replica"


def test_get_identity__just_written__read_from_the_primary(ann_on_a_replica: APIClient) -> None:
    _post_plan(ann_on_a_replica, "pro")  # the primary only: the clone never replicates

    assert _plan(ann_on_a_replica) == "pro"
    assert _plan(ann_on_a_replica) == "pro"


def test_get_identity__written_longer_ago_than_the_window__replica_again(settings, ann_on_a_replica: APIClient) -> None:
    settings.REPLICA_READ_YOUR_WRITES_SECONDS = 0.3
    _post_plan(ann_on_a_replica, "pro")
    assert _plan(ann_on_a_replica) == "pro"

    time.sleep(0.4)

    # A real replica has replayed the write by now; this clone never will.
    assert _plan(ann_on_a_replica) == "as on the replica"


def test_get_identity__another_identity_written__this_one_still_from_the_replica(
    ann_on_a_replica: APIClient,
) -> None:
    _post_plan(ann_on_a_replica, "pro", identifier="bob")

    assert _plan(ann_on_a_replica) == "as on the replica"
    assert _plan(ann_on_a_replica, "/api/v1/identities/?identifier=bob") == "pro"


def test_get_identity__response_to_be_cached__read_from_the_primary(settings, ann_on_a_replica: APIClient) -> None:
    """Whatever feeds a cache comes from the primary: a lagging replica must not be cached as current."""
    settings.GET_IDENTITIES_ENDPOINT_CACHE_SECONDS = 60
    settings.CACHES = {
        **settings.CACHES,
        caching.GET_IDENTITIES_ENDPOINT: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "identities-replica-test",
        },
    }

    assert _plan(ann_on_a_replica) == "free"
    assert _plan(ann_on_a_replica) == "free"


def test_identity_read_may_use_replica__no_replica_configured__never(client_key_client: APIClient) -> None:
    assert caching.identity_read_may_use_replica(1, "ann") is False
