"""Queries per SDK request once the environment's document is compiled: none per feature or segment.

The figures are the closing note's; each test also proves the count does not
grow with the number of features, segments and overrides.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from features import services as feature_services
from segments import services as segment_services
from versioning import services as versioning_services


@pytest.fixture
def bigger_environment(flags_environment, sdk_project, admin_user):
    """Twenty more features and segments, so a per-item query would show."""
    from sdk.tests.conftest import add_override

    for n in range(20):
        feature = feature_services.create_feature(sdk_project, {"name": f"extra_{n}", "initial_value": "x"}, admin_user)
        rules = [{"type": "ALL", "conditions": [{"operator": "EQUAL", "property": "n", "value": str(n)}]}]
        segment = segment_services.create_segment(sdk_project, {"name": f"seg_{n}", "rules": rules}, admin_user)
        add_override(feature, flags_environment, segment=segment)
    flags_environment.refresh_from_db()
    return flags_environment


@pytest.fixture
def versioned_environment(flags_environment, checkout, admin_user):
    """Feature versions on, a history of versions and a change scheduled for tomorrow."""
    environment = versioning_services.enable_v2_versioning(flags_environment, admin_user)
    for value in ("one", "two", "three"):
        states = versioning_services.base_states(environment, checkout)
        states[0].value = value
        version = versioning_services.create_version(environment, checkout, admin_user, states=states)
        versioning_services.publish(version, admin_user)
    version = versioning_services.create_version(environment, checkout, admin_user)
    versioning_services.publish(version, admin_user, timezone.now() + timedelta(days=1))
    return environment


def _queries(callable_) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = callable_()
    assert response.status_code < 300, response.content
    # Savepoints are transaction bookkeeping, not reads or writes.
    return [query["sql"] for query in context.captured_queries if "SAVEPOINT" not in query["sql"]]


def _warm(client, server_client) -> None:
    """Keys resolved and the version compiled, as in a process that has served before."""
    assert client.get("/api/v1/flags/").status_code == 200
    assert server_client.get("/api/v1/environment-document/").status_code == 200


# With the environment's version known to the process (checked at most once a second
# per environment, or through a shared cache), the environment endpoints touch no
# database at all.
QUERIES = {
    "flags": 0,
    "environment_document": 0,
    "identities_get_existing": 1,  # the identity with its traits (one left join)
    "identities_get_new": 2,  # + the insert of the new identity
    "identities_get_transient": 1,  # the lookup (a stored identity's traits are used)
    "identities_post_unchanged_traits": 1,
    "identities_post_new_trait": 2,  # + one bulk insert of new traits
    # + one UPDATE for all changed traits together on PostgreSQL; one each (two here) on SQLite.
    "identities_post_changed_traits": 2 if connection.vendor == "postgresql" else 3,
    "traits_set": 2,
    "analytics_v1": 2,  # update, insert of the hour's bucket
}


# "versioned": the same with feature versions and a scheduled change pending: versions
# and schedules add no query (the version check's one query holds the next live_from).
@pytest.mark.parametrize("size", ["small", "bigger", "versioned"])
def test_query_counts__sdk_endpoints(request, size, client_key_client, server_key_client, flags_environment, settings):
    settings.ENVIRONMENT_VERSION_CHECK_SECONDS = 60
    if size == "bigger":
        request.getfixturevalue("bigger_environment")
    if size == "versioned":
        request.getfixturevalue("versioned_environment")
    _warm(client_key_client, server_key_client)
    client_key_client.post(
        "/api/v1/identities/",
        {"identifier": "known", "traits": [{"trait_key": "plan", "trait_value": "pro"}]},
        format="json",
    )
    counts = {
        "flags": _queries(lambda: client_key_client.get("/api/v1/flags/")),
        "environment_document": _queries(lambda: server_key_client.get("/api/v1/environment-document/")),
        "identities_get_existing": _queries(lambda: client_key_client.get("/api/v1/identities/?identifier=known")),
        "identities_get_new": _queries(lambda: client_key_client.get("/api/v1/identities/?identifier=new-one")),
        "identities_get_transient": _queries(
            lambda: client_key_client.get("/api/v1/identities/?identifier=known&transient=1")
        ),
        "identities_post_unchanged_traits": _queries(
            lambda: client_key_client.post(
                "/api/v1/identities/",
                {"identifier": "known", "traits": [{"trait_key": "plan", "trait_value": "pro"}]},
                format="json",
            )
        ),
        "identities_post_new_trait": _queries(
            lambda: client_key_client.post(
                "/api/v1/identities/",
                {"identifier": "known", "traits": [{"trait_key": "age", "trait_value": 3}]},
                format="json",
            )
        ),
        "identities_post_changed_traits": _queries(
            lambda: client_key_client.post(
                "/api/v1/identities/",
                {
                    "identifier": "known",
                    "traits": [
                        {"trait_key": "plan", "trait_value": "team"},
                        {"trait_key": "age", "trait_value": 4},
                    ],
                },
                format="json",
            )
        ),
        "traits_set": _queries(
            lambda: client_key_client.post(
                "/api/v1/traits/",
                {"identity": {"identifier": "known"}, "trait_key": "plan", "trait_value": "free"},
                format="json",
            )
        ),
        "analytics_v1": _queries(
            lambda: client_key_client.post("/api/v1/analytics/flags/", {"checkout": 2}, format="json")
        ),
    }

    assert {name: len(queries) for name, queries in counts.items()} == QUERIES, counts
