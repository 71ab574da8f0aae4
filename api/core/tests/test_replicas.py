"""Read-replica routing against real PostgreSQL databases.

Each test clones the test database into a second real database on the same
server and registers it at run time as ``replica_<n>``. The clone is a
snapshot: rows written to the primary afterwards are absent from it, and rows
inserted with ``.using("replica_1")`` exist only there. Which rows a read sees
therefore proves which database served it. A "dead" replica points at a port
where nothing listens.
"""

from __future__ import annotations

import copy
import logging
import time
import types
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from psycopg import sql
from rest_framework.test import APIClient

from core import replicas
from organisations.models import Organisation, OrganisationRole, UserOrganisation
from organisations.tests.factories import MembershipFactory, OrganisationFactory
from projects.models import Project
from projects.tests.factories import ProjectFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LOGGER = "banderole.replicas"
ORGANISATIONS_URL = "/api/v1/organisations/"


class ReplicaDatabases:
    """Creates replica databases and aliases for one test, and removes them after it."""

    def __init__(self, real_ensure_connection: Callable[[BaseDatabaseWrapper], None]) -> None:
        self.real_ensure_connection = real_ensure_connection
        self.primary = connections["default"].settings_dict
        self.aliases: list[str] = []
        self.clones: list[str] = []

    def _admin_connection(self) -> psycopg.Connection:
        return psycopg.connect(
            host=self.primary["HOST"] or None,
            port=self.primary["PORT"] or None,
            user=self.primary["USER"] or None,
            password=self.primary["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )

    def add_clone(self, alias: str) -> str:
        """A live replica: a copy of the test database as it is now."""
        template = self.primary["NAME"]
        clone = f"{template}_{alias}_{uuid.uuid4().hex[:8]}"
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(clone), sql.Identifier(template))
        # A template database must have no other sessions while it is copied.
        connections.close_all()
        with self._admin_connection() as admin:
            try:
                admin.execute(create)
            except psycopg.errors.ObjectInUse:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()",
                    [template],
                )
                admin.execute(create)
        self.clones.append(clone)
        self._register(alias, connect_timeout=2, NAME=clone)
        return clone

    def take_down(self, clone: str) -> None:
        """The replica server goes away: its sessions end and new ones are refused."""
        with self._admin_connection() as admin:
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(clone)))
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [clone])

    def add_dead(self, alias: str) -> None:
        """A replica nobody answers for: 127.0.0.1 port 1 refuses connections."""
        self._register(alias, connect_timeout=1, HOST="127.0.0.1", PORT=1)

    def _register(self, alias: str, connect_timeout: int, **overrides: Any) -> None:
        config = copy.deepcopy(self.primary)
        config.update(overrides)
        config["OPTIONS"] = {**config.get("OPTIONS", {}), "connect_timeout": connect_timeout}
        settings.DATABASES[alias] = config
        connections.settings[alias] = config
        self.aliases.append(alias)
        connection = connections[alias]
        # Django's test case patches BaseDatabaseWrapper.ensure_connection to refuse
        # aliases it did not set up (it would not flush them). These aliases are
        # created and dropped by this fixture, so they connect for real.
        connection.ensure_connection = types.MethodType(self.real_ensure_connection, connection)

    def remove_all(self) -> None:
        for alias in self.aliases:
            connections[alias].close()
            del connections[alias]
            settings.DATABASES.pop(alias, None)
            connections.settings.pop(alias, None)
        replicas.forget_unhealthy_replicas()
        replicas.reset_request_state()
        if self.clones:
            with self._admin_connection() as admin:
                for clone in self.clones:
                    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(clone)))


@pytest.fixture
def replica_databases(transactional_db: None, django_db_blocker: Any) -> Iterator[ReplicaDatabases]:
    # pytest-django keeps Django's own ensure_connection to restore it after blocking.
    real_ensure_connection = django_db_blocker._real_ensure_connection
    assert real_ensure_connection is not None
    manager = ReplicaDatabases(real_ensure_connection)
    try:
        yield manager
    finally:
        manager.remove_all()


@pytest.fixture
def replica_warnings(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    return caplog


def _names(queryset: QuerySet[Organisation]) -> set[str]:
    return set(queryset.values_list("name", flat=True))


def _warnings_from(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == LOGGER and record.levelno == logging.WARNING]


def _count_connection_attempts(monkeypatch: pytest.MonkeyPatch, alias: str) -> list[str]:
    """Record every attempt to connect ``alias``; returns the (growing) record."""
    connection = connections[alias]
    attempts: list[str] = []
    original = connection.ensure_connection

    def ensure_connection() -> None:
        attempts.append(alias)
        original()

    monkeypatch.setattr(connection, "ensure_connection", ensure_connection)
    return attempts


def _client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


# --- where reads go -----------------------------------------------------------------------------


def test_replica_reads__object_only_on_replica__is_found(replica_databases: ReplicaDatabases) -> None:
    replica_databases.add_clone("replica_1")
    Organisation.objects.using("replica_1").create(name="Only on the replica")
    replicas.reset_request_state()

    with replicas.replica_reads():
        names = _names(Organisation.objects.all())

    assert names == {"Only on the replica"}


def test_replica_reads__object_only_on_primary__is_not_found(replica_databases: ReplicaDatabases) -> None:
    replica_databases.add_clone("replica_1")
    primary_only = OrganisationFactory(name="Only on the primary")
    replicas.reset_request_state()

    with replicas.replica_reads():
        exists = Organisation.objects.filter(pk=primary_only.pk).exists()

    assert exists is False


def test_reads__outside_replica_reads__go_to_primary(replica_databases: ReplicaDatabases) -> None:
    replica_databases.add_clone("replica_1")
    Organisation.objects.using("replica_1").create(name="Only on the replica")
    OrganisationFactory(name="Only on the primary")
    replicas.reset_request_state()

    assert _names(Organisation.objects.all()) == {"Only on the primary"}


def test_replica_reads__after_save_in_same_request__go_to_primary(replica_databases: ReplicaDatabases) -> None:
    replica_databases.add_clone("replica_1")
    Organisation.objects.using("replica_1").create(name="Only on the replica")
    replicas.reset_request_state()

    with replicas.replica_reads():
        OrganisationFactory(name="Just written")
        names = _names(Organisation.objects.all())

    assert names == {"Just written"}


def test_replica_reads__after_write_earlier_in_request__go_to_primary(replica_databases: ReplicaDatabases) -> None:
    replica_databases.add_clone("replica_1")
    Organisation.objects.using("replica_1").create(name="Only on the replica")
    replicas.reset_request_state()
    OrganisationFactory(name="Written before the block")

    with replicas.replica_reads():
        names = _names(Organisation.objects.all())

    assert names == {"Written before the block"}


def test_replica_reads__write_in_previous_request__next_request_goes_to_replica(
    replica_databases: ReplicaDatabases,
) -> None:
    replica_databases.add_clone("replica_1")
    Organisation.objects.using("replica_1").create(name="Only on the replica")
    replicas.reset_request_state()
    OrganisationFactory(name="Written by the first request")

    replicas.reset_request_state()
    with replicas.replica_reads():
        names = _names(Organisation.objects.all())

    assert names == {"Only on the replica"}


def test_replica_reads__inside_atomic_block__go_to_primary(replica_databases: ReplicaDatabases) -> None:
    replica_databases.add_clone("replica_1")
    Organisation.objects.using("replica_1").create(name="Only on the replica")
    replicas.reset_request_state()

    with transaction.atomic(), replicas.replica_reads():
        names = _names(Organisation.objects.all())

    assert names == set()


def test_replica_reads__two_live_replicas__one_replica_serves_whole_request(
    replica_databases: ReplicaDatabases, monkeypatch: pytest.MonkeyPatch
) -> None:
    replica_databases.add_clone("replica_1")
    replica_databases.add_clone("replica_2")
    Organisation.objects.using("replica_1").create(name="replica_1")
    Organisation.objects.using("replica_2").create(name="replica_2")
    choices: list[str | None] = []
    original_choose = replicas._choose_healthy_replica

    def recording_choose() -> str | None:
        choices.append(original_choose())
        return choices[-1]

    monkeypatch.setattr(replicas, "_choose_healthy_replica", recording_choose)

    for _request in range(5):
        replicas.reset_request_state()
        with replicas.replica_reads():
            seen = [_names(Organisation.objects.all()) for _read in range(4)]
        assert len({frozenset(names) for names in seen}) == 1
        assert seen[0] in ({"replica_1"}, {"replica_2"})

    assert len(choices) == 5


# --- dead replicas ------------------------------------------------------------------------------


def test_replica_reads__only_dead_replica__falls_back_to_primary_quickly_with_warning(
    replica_databases: ReplicaDatabases, replica_warnings: pytest.LogCaptureFixture
) -> None:
    replica_databases.add_dead("replica_2")
    OrganisationFactory(name="On the primary")
    replicas.reset_request_state()

    started = time.monotonic()
    with replicas.replica_reads():
        names = _names(Organisation.objects.all())
    elapsed = time.monotonic() - started

    assert names == {"On the primary"}
    assert elapsed < 3
    warnings = _warnings_from(replica_warnings)
    assert len(warnings) == 1
    assert "replica_2" in warnings[0].getMessage()


def test_replica_reads__dead_replica_within_retry_window__is_not_probed_again(
    replica_databases: ReplicaDatabases,
    replica_warnings: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    replica_databases.add_dead("replica_2")
    attempts = _count_connection_attempts(monkeypatch, "replica_2")
    OrganisationFactory(name="On the primary")

    for _request in range(3):
        replicas.reset_request_state()
        with replicas.replica_reads():
            assert _names(Organisation.objects.all()) == {"On the primary"}

    assert settings.REPLICA_RETRY_SECONDS >= 30
    assert attempts == ["replica_2"]
    assert len(_warnings_from(replica_warnings)) == 1


def test_replica_reads__dead_replica_after_retry_window__is_probed_again(
    replica_databases: ReplicaDatabases,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.REPLICA_RETRY_SECONDS = 0
    replica_databases.add_dead("replica_2")
    attempts = _count_connection_attempts(monkeypatch, "replica_2")

    for _request in range(2):
        replicas.reset_request_state()
        with replicas.replica_reads():
            list(Organisation.objects.all())

    assert attempts == ["replica_2", "replica_2"]


def test_replica_reads__dead_replica_tried_first__live_replica_serves(
    replica_databases: ReplicaDatabases,
    replica_warnings: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    replica_databases.add_clone("replica_1")
    replica_databases.add_dead("replica_2")
    Organisation.objects.using("replica_1").create(name="Only on the live replica")
    monkeypatch.setattr(replicas.random, "shuffle", lambda aliases: aliases.sort(key=lambda a: a != "replica_2"))
    replicas.reset_request_state()

    with replicas.replica_reads():
        names = _names(Organisation.objects.all())

    assert names == {"Only on the live replica"}
    assert ["replica_2" in record.getMessage() for record in _warnings_from(replica_warnings)] == [True]


def test_replica_reads__dead_and_live_replicas__every_request_served_by_live_replica(
    replica_databases: ReplicaDatabases,
) -> None:
    replica_databases.add_clone("replica_1")
    replica_databases.add_dead("replica_2")
    Organisation.objects.using("replica_1").create(name="Only on the live replica")

    for _request in range(8):
        replicas.forget_unhealthy_replicas()  # so the dead one is a candidate every time
        replicas.reset_request_state()
        with replicas.replica_reads():
            assert _names(Organisation.objects.all()) == {"Only on the live replica"}


def test_replica_reads__connected_replica_goes_down__next_request_falls_back_to_primary(
    replica_databases: ReplicaDatabases, replica_warnings: pytest.LogCaptureFixture
) -> None:
    clone = replica_databases.add_clone("replica_1")
    OrganisationFactory(name="On the primary")
    replicas.reset_request_state()
    with replicas.replica_reads():
        assert _names(Organisation.objects.all()) == set()  # connected to the replica, kept for CONN_MAX_AGE
    replica_databases.take_down(clone)

    close_old_connections()  # what Django does when the next request starts
    replicas.reset_request_state()
    with replicas.replica_reads():
        names = _names(Organisation.objects.all())

    assert names == {"On the primary"}
    assert ["replica_1" in record.getMessage() for record in _warnings_from(replica_warnings)] == [True]


# --- relations across databases (Flagsmith #8167) -------------------------------------------------


def test_allow_relation__organisation_read_from_replica__assignable_to_new_primary_project(
    replica_databases: ReplicaDatabases,
) -> None:
    organisation = OrganisationFactory(name="On both")
    replica_databases.add_clone("replica_1")
    replicas.reset_request_state()
    with replicas.replica_reads():
        from_replica = Organisation.objects.get(pk=organisation.pk)

    project = Project(name="Web", organisation=from_replica)
    project.save()

    assert from_replica._state.db == "replica_1"
    assert project._state.db == "default"
    assert Project.objects.using("default").get(pk=project.pk).organisation_id == organisation.pk


def test_allow_relation__organisation_read_from_replica__assignable_to_existing_primary_project(
    replica_databases: ReplicaDatabases,
) -> None:
    organisation = OrganisationFactory(name="On both")
    replica_databases.add_clone("replica_1")
    other = OrganisationFactory(name="Only on the primary")
    project = ProjectFactory(organisation=other)
    replicas.reset_request_state()
    with replicas.replica_reads():
        from_replica = Organisation.objects.get(pk=organisation.pk)

    project.organisation = from_replica
    project.save()

    assert Project.objects.using("default").get(pk=project.pk).organisation_id == organisation.pk


# --- over HTTP --------------------------------------------------------------------------------------


def _organisation_only_on_replica(alias: str, user: User, name: str) -> Organisation:
    organisation = Organisation.objects.using(alias).create(name=name)
    UserOrganisation.objects.using(alias).create(
        user_id=user.pk, organisation_id=organisation.pk, role=OrganisationRole.ADMIN
    )
    return organisation


def test_organisation_list__membership_only_on_replica__lists_replica_organisation(
    replica_databases: ReplicaDatabases,
) -> None:
    user = UserFactory()
    replica_databases.add_clone("replica_1")
    _organisation_only_on_replica("replica_1", user, "Replica Org")
    MembershipFactory(user=user, organisation__name="Primary Org")

    response = _client_for(user).get(ORGANISATIONS_URL)

    assert response.status_code == 200
    assert [(item["name"], item["role"]) for item in response.json()["results"]] == [("Replica Org", "ADMIN")]


def test_organisation_create__replica_configured__response_reads_own_write_from_primary(
    replica_databases: ReplicaDatabases,
) -> None:
    user = UserFactory()
    replica_databases.add_clone("replica_1")

    response = _client_for(user).post(ORGANISATIONS_URL, {"name": "Fresh"})

    assert response.status_code == 201
    assert response.json()["role"] == OrganisationRole.ADMIN
    assert Organisation.objects.using("default").filter(name="Fresh").exists()
    assert not Organisation.objects.using("replica_1").filter(name="Fresh").exists()


def test_organisation_list__after_create_in_previous_request__served_from_replica_again(
    replica_databases: ReplicaDatabases,
) -> None:
    user = UserFactory()
    replica_databases.add_clone("replica_1")
    _organisation_only_on_replica("replica_1", user, "Replica Org")
    client = _client_for(user)

    created = client.post(ORGANISATIONS_URL, {"name": "Fresh"})
    listed = client.get(ORGANISATIONS_URL)

    assert created.status_code == 201
    assert listed.status_code == 200
    assert [item["name"] for item in listed.json()["results"]] == ["Replica Org"]


def test_organisation_create_then_list__only_dead_replica__201_then_200_from_primary(
    replica_databases: ReplicaDatabases, replica_warnings: pytest.LogCaptureFixture
) -> None:
    user = UserFactory()
    replica_databases.add_dead("replica_2")
    client = _client_for(user)

    created = client.post(ORGANISATIONS_URL, {"name": "Fresh"})
    listed = client.get(ORGANISATIONS_URL)

    assert created.status_code == 201
    assert listed.status_code == 200
    assert [item["name"] for item in listed.json()["results"]] == ["Fresh"]
    assert len(_warnings_from(replica_warnings)) == 1
