"""Routing decisions of ``core.replicas`` and ``core.db_routers`` that need no database.

Choosing a replica is replaced by a stub so these run on SQLite too; the same
behaviours against real PostgreSQL replicas are in ``test_replicas.py``.
"""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse

from core import replicas
from core.db_routers import ReplicaRouter
from core.middleware import DatabaseRoutingMiddleware
from organisations.models import Organisation
from projects.models import Project

REPLICA = "replica_9"


@pytest.fixture
def choices(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every replica choice made; each picks ``REPLICA``."""
    made: list[str] = []

    def choose() -> str:
        made.append(REPLICA)
        return REPLICA

    monkeypatch.setattr(replicas, "_choose_healthy_replica", choose)
    replicas.reset_request_state()
    return made


def _on(db: str | None, instance: Organisation | Project) -> Organisation | Project:
    instance._state.db = db
    return instance


def test_read_alias__outside_replica_reads__is_primary(choices: list[str]) -> None:
    assert replicas.read_alias() is None
    assert choices == []


def test_read_alias__inside_replica_reads__is_chosen_replica(choices: list[str]) -> None:
    with replicas.replica_reads():
        assert replicas.read_alias() == REPLICA


def test_read_alias__several_reads_in_one_request__replica_chosen_once(choices: list[str]) -> None:
    with replicas.replica_reads():
        aliases = [replicas.read_alias() for _read in range(3)]

    assert aliases == [REPLICA] * 3
    assert choices == [REPLICA]


def test_read_alias__no_healthy_replica__primary_for_rest_of_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []

    def choose_none() -> None:
        calls.append(None)

    monkeypatch.setattr(replicas, "_choose_healthy_replica", choose_none)
    replicas.reset_request_state()

    with replicas.replica_reads():
        aliases = [replicas.read_alias() for _read in range(3)]

    assert aliases == [None, None, None]
    assert len(calls) == 1


def test_read_alias__after_mark_written__is_primary(choices: list[str]) -> None:
    replicas.mark_written()

    with replicas.replica_reads():
        assert replicas.read_alias() is None


def test_read_alias__after_reset_request_state__is_replica_again(choices: list[str]) -> None:
    replicas.mark_written()
    replicas.reset_request_state()

    with replicas.replica_reads():
        assert replicas.read_alias() == REPLICA


def test_replica_reads__block_exits__reads_go_to_primary_again(choices: list[str]) -> None:
    with replicas.replica_reads():
        replicas.read_alias()

    assert replicas.read_alias() is None


def test_router_db_for_write__any_model__primary_and_later_reads_go_to_primary(choices: list[str]) -> None:
    router = ReplicaRouter()

    alias = router.db_for_write(Organisation)

    assert alias == "default"
    with replicas.replica_reads():
        assert router.db_for_read(Organisation) is None


def test_router_allow_relation__primary_and_replica_objects__allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica_1"])

    allowed = ReplicaRouter().allow_relation(_on("replica_1", Organisation()), _on("default", Project()))

    assert allowed is True


def test_router_allow_relation__unknown_database__no_opinion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica_1"])

    allowed = ReplicaRouter().allow_relation(_on("archive", Organisation()), _on("default", Project()))

    assert allowed is None


def test_replica_aliases__no_replicas_configured__empty() -> None:
    assert replicas.replica_aliases() == []


def test_database_routing_middleware__previous_request_wrote__new_request_starts_fresh(choices: list[str]) -> None:
    seen: list[str | None] = []

    def view(request: HttpRequest) -> HttpResponse:
        with replicas.replica_reads():
            seen.append(replicas.read_alias())
        replicas.mark_written()
        return HttpResponse()

    middleware = DatabaseRoutingMiddleware(view)

    middleware(HttpRequest())
    middleware(HttpRequest())

    assert seen == [REPLICA, REPLICA]
    assert choices == [REPLICA, REPLICA]
