"""The stream over HTTP, as SDKs see it: a real uvicorn serving ``realtime.asgi`` on 127.0.0.1."""

from __future__ import annotations

import concurrent.futures
import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from rest_framework.test import APIClient

from core.versions import touch
from environments.models import Environment, EnvironmentAPIKey
from environments.services import create_server_key
from environments.tests.factories import EnvironmentFactory
from features.models import FeatureState
from organisations.models import OrganisationRole
from organisations.tests.factories import MembershipFactory
from projects.models import Project
from realtime.tests.conftest import TEST_HEARTBEAT_SECONDS, EventReader, RunningStreams, parse_block, stream_process
from users.tests.factories import UserFactory


def _version(environment: Environment) -> float:
    return Environment.objects.get(pk=environment.pk).updated_at.timestamp()


def test_stream__client_key__event_stream_headers_then_current_version(
    streams: RunningStreams, realtime_environment: Environment
) -> None:
    reader = streams.open(realtime_environment.api_key)

    first = parse_block(reader.block())

    assert reader.response.status_code == 200
    assert reader.response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert reader.response.headers["Cache-Control"] == "no-cache, no-store"
    assert reader.response.headers["X-Accel-Buffering"] == "no"
    assert reader.response.headers["Access-Control-Allow-Origin"] == "*"
    assert first["event"] == "environment_updated"
    assert first["data"] == {"updated_at": _version(realtime_environment)}
    assert 2000 <= int(first["retry"]) <= 6000
    reader.close()


def test_stream__prefixed_path_and_server_key__same_stream(
    streams: RunningStreams, realtime_environment: Environment
) -> None:
    key = create_server_key(environment=realtime_environment, name="backend").plain_key

    reader = EventReader(streams.stream_url(key, prefix="/api/v1"))

    assert reader.event()["data"] == {"updated_at": _version(realtime_environment)}
    reader.close()


def test_stream__quiet_environment__heartbeat_comments(
    streams: RunningStreams, realtime_environment: Environment
) -> None:
    reader = streams.open(realtime_environment.api_key, read_timeout=TEST_HEARTBEAT_SECONDS * 5)
    reader.event()
    started = time.monotonic()

    heartbeats = [parse_block(reader.block()) for _ in range(3)]

    assert heartbeats == [{"comments": ["heartbeat"]}] * 3
    assert time.monotonic() - started >= TEST_HEARTBEAT_SECONDS * 2
    reader.close()


def test_stream__flag_toggled_through_admin_api__event_with_new_version_within_a_second(
    streams: RunningStreams, realtime_project: Project, realtime_environment: Environment
) -> None:
    admin = UserFactory()
    MembershipFactory(user=admin, organisation=realtime_project.organisation, role=OrganisationRole.ADMIN)
    client = APIClient()
    client.force_authenticate(admin)
    created = client.post(f"/api/v1/projects/{realtime_project.id}/features/", {"name": "checkout"}, format="json")
    state = FeatureState.objects.get(feature_id=created.json()["id"], environment=realtime_environment, identity=None)
    reader = streams.open(realtime_environment.api_key)
    before = reader.event()["data"]["updated_at"]

    response = client.patch(
        f"/api/v1/environments/{realtime_environment.api_key}/featurestates/{state.id}/",
        {"enabled": True},
        format="json",
    )
    answered = time.monotonic()
    event = reader.event()
    delay = time.monotonic() - answered

    assert response.status_code == 200, response.content
    assert event["event"] == "environment_updated"
    assert event["data"]["updated_at"] > before
    assert event["data"]["updated_at"] == _version(realtime_environment)
    # What the browser SDK compares the event with: X-Flagsmith-Document-Updated-At of /flags/.
    document = APIClient().get("/api/v1/flags/", HTTP_X_ENVIRONMENT_KEY=realtime_environment.api_key)
    assert float(document["X-Flagsmith-Document-Updated-At"]) == event["data"]["updated_at"]
    assert delay < 1.0
    reader.close()


def test_stream__unknown_key__json_404_before_the_stream(streams: RunningStreams) -> None:
    response = requests.get(streams.stream_url("not-a-key"), timeout=5)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Invalid or missing Environment Key"}


def test_stream__revoked_server_key__json_403(streams: RunningStreams, realtime_environment: Environment) -> None:
    server_key = create_server_key(environment=realtime_environment, name="backend")
    EnvironmentAPIKey.objects.filter(pk=server_key.pk).update(active=False)
    touch([realtime_environment.pk])

    response = requests.get(streams.stream_url(server_key.plain_key), timeout=5)

    assert response.status_code == 403
    assert response.json() == {"detail": "This key has been revoked or has expired."}


def test_stream__server_key_revoked_while_open__stream_ends(
    streams: RunningStreams, realtime_environment: Environment
) -> None:
    server_key = create_server_key(environment=realtime_environment, name="backend")
    revoked = streams.open(server_key.plain_key)
    kept = streams.open(realtime_environment.api_key)
    revoked.event(), kept.event()

    server_key.active = False
    server_key.save()  # Django admin's way: the model signal bumps the version

    assert revoked.ended()
    assert kept.event()["data"]["updated_at"] == _version(realtime_environment)
    assert requests.get(streams.stream_url(server_key.plain_key), timeout=5).status_code == 403
    kept.close()


def test_stream__server_key_expires_while_open__stream_ends_on_a_heartbeat(
    streams: RunningStreams, realtime_environment: Environment
) -> None:
    server_key = create_server_key(
        environment=realtime_environment, name="short", expires_at=timezone.now() + timedelta(seconds=1)
    )
    reader = streams.open(server_key.plain_key)
    reader.event()

    assert reader.ended()


def test_stream__organisation_stops_serving_flags__stream_ends_then_403(
    streams: RunningStreams, realtime_project: Project, realtime_environment: Environment
) -> None:
    reader = streams.open(realtime_environment.api_key)
    reader.event()

    organisation = realtime_project.organisation
    organisation.stop_serving_flags = True
    organisation.save()

    assert reader.ended()
    response = requests.get(streams.stream_url(realtime_environment.api_key), timeout=5)
    assert response.status_code == 403
    assert response.json() == {"detail": "Organisation is disabled from serving flags."}


def test_stream__environment_deleted__stream_ends_then_404(
    streams: RunningStreams, realtime_environment: Environment
) -> None:
    reader = streams.open(realtime_environment.api_key)
    reader.event()

    realtime_environment.delete()

    assert reader.ended()
    assert requests.get(streams.stream_url(realtime_environment.api_key), timeout=5).status_code == 404


def test_stream__realtime_disabled_for_the_project__heartbeats_only_until_enabled(
    streams: RunningStreams, realtime_project: Project, realtime_environment: Environment
) -> None:
    Project.objects.filter(pk=realtime_project.pk).update(enable_realtime_updates=False)
    touch([realtime_environment.pk])
    reader = streams.open(realtime_environment.api_key, read_timeout=TEST_HEARTBEAT_SECONDS * 5)

    opening = [parse_block(reader.block()), parse_block(reader.block())]
    touch([realtime_environment.pk])  # a change while disabled: no event
    quiet = [parse_block(reader.block()) for _ in range(3)]
    realtime_project.enable_realtime_updates = True
    realtime_project.save()  # enabling is itself a new version of the document
    enabled = reader.event()

    assert reader.response.status_code == 200
    assert "data" not in opening[0] and "retry" in opening[0]
    assert opening[1]["comments"][0].startswith("realtime updates are disabled for this project")
    assert all("data" not in block for block in quiet)
    assert enabled["data"] == {"updated_at": _version(realtime_environment)}
    reader.close()


def test_stream__hundred_clients_reconnect_at_once__environment_read_once(
    streams: RunningStreams, realtime_environment: Environment
) -> None:
    def connect(_: int) -> tuple[EventReader, float]:
        reader = streams.open(realtime_environment.api_key)
        return reader, reader.event()["data"]["updated_at"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        opened = list(pool.map(connect, range(100)))
    touch([realtime_environment.pk])
    new_version = _version(realtime_environment)
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        events = list(pool.map(lambda pair: pair[0].event()["data"]["updated_at"], opened))

    assert len({version for _, version in opened}) == 1 and opened[0][1] < new_version
    assert events == [new_version] * 100
    # One key lookup and one read for the first connections, one read for the change.
    assert streams.stats["key_reads"] == 1
    assert streams.stats["loads"] == 2
    for reader, _ in opened:
        reader.close()


def test_stream__other_environment_changes__no_event(
    streams: RunningStreams, realtime_environment: Environment
) -> None:
    other = EnvironmentFactory(project=realtime_environment.project, name="Staging")
    reader = streams.open(realtime_environment.api_key, read_timeout=TEST_HEARTBEAT_SECONDS * 5)
    reader.event()

    touch([other.pk])
    blocks = [parse_block(reader.block()) for _ in range(3)]

    assert blocks == [{"comments": ["heartbeat"]}] * 3
    reader.close()


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_stream__other_method__json_405(streams: RunningStreams, method: str) -> None:
    response = requests.request(method, streams.stream_url("any-key"), timeout=5)

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, OPTIONS"
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}


def test_stream_process__other_path__json_404(streams: RunningStreams) -> None:
    response = requests.get(f"{streams.url}/api/v1/flags/", timeout=5)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_stream_process__health__liveness_and_readiness_200(streams: RunningStreams) -> None:
    assert requests.get(f"{streams.url}/health/liveness/", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{streams.url}/health/readiness/", timeout=5).status_code == 200


def test_stream_process__stopping__streams_end_cleanly(realtime_environment: Environment) -> None:
    with stream_process() as running:
        reader = running.open(realtime_environment.api_key)
        reader.event()
        running.application.end_streams()

        assert reader.ended()
        response = requests.get(running.stream_url(realtime_environment.api_key), timeout=5)
        assert response.status_code == 503
