"""The API side: announcing new versions after the commit, and the stream paths on the WSGI server."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from realtime import announce
from realtime.views import NOT_HERE
from tests import cache_servers


def test_payloads__many_environments__each_under_the_notify_limit() -> None:
    ids = list(range(1_000_000, 1_003_000))

    payloads = list(announce.payloads(ids))

    assert len(payloads) > 1
    assert all(len(payload) < 8000 for payload in payloads)
    assert [int(part) for payload in payloads for part in payload.split(",")] == ids


def test_parse__junk_in_the_payload__only_ids_kept() -> None:
    assert announce.parse(b"12,x,,13; DROP TABLE,14") == [12, 14]


def test_announce__redis_unreachable__logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    port = cache_servers.free_port()  # nothing listens there

    with override_settings(REALTIME_REDIS_URL=f"redis://127.0.0.1:{port}/0"), caplog.at_level(logging.WARNING):
        announce.announce([1, 2])

    assert "could not announce new versions of environments [1, 2] over redis" in caplog.text


def test_announce__redis_configured__ids_published_on_the_channel() -> None:
    url = cache_servers.redis_url()
    with override_settings(REALTIME_REDIS_URL=url):
        subscriber = announce._redis().pubsub(ignore_subscribe_messages=True)
        subscriber.subscribe(announce.redis_channel())
        subscriber.get_message(timeout=1)

        announce.announce([7, 3, 7])
        message = subscriber.get_message(timeout=5)
        subscriber.close()

    assert message is not None and announce.parse(message["data"]) == [3, 7]


@pytest.mark.parametrize("path", ["/sse/environments/abc/stream", "/api/v1/sse/environments/abc/stream"])
def test_wsgi_stream_path__no_realtime_url__json_404_naming_the_stream_process(db: None, path: str) -> None:
    response = APIClient().get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": NOT_HERE}


@override_settings(REALTIME_URL="http://streams.example.test:8001")
def test_wsgi_stream_path__realtime_url__307_to_the_stream_process_open_to_every_origin(db: None) -> None:
    response = APIClient().get("/api/v1/sse/environments/abc/stream", HTTP_ORIGIN="https://shop.example.test")

    assert response.status_code == 307
    assert response["Location"] == "http://streams.example.test:8001/api/v1/sse/environments/abc/stream"
    assert response["Access-Control-Allow-Origin"] in ("*", "https://shop.example.test")
