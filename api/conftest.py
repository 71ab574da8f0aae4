"""Personas and services shared by every test.

Personas (STYLE.md §12): an organisation ``admin``; a ``member`` with the USER
role who may *view* the ``project`` and its ``environment`` (VIEW_PROJECT,
VIEW_ENVIRONMENT and VIEW_IDENTITIES, nothing more: writes are 403); an
``outsider`` who belongs to another organisation; and anonymous. The permission
matrix (tests/test_permission_matrix.py) adds members with and without each key.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import caches
from rest_framework.test import APIClient

from core import outbound, replicas
from documents.store import clear_compiled_environments
from environments.models import Environment, EnvironmentAPIKey
from environments.services import create_server_key
from environments.tests.factories import EnvironmentFactory
from organisations.models import Organisation, OrganisationRole
from organisations.tests.factories import MembershipFactory, OrganisationFactory
from projects.models import Project
from projects.tests.factories import ProjectFactory
from tests import cache_servers
from users.models import User

IN_CI = os.environ.get("CI", "").lower() == "true"
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ON_POSTGRES:
        return
    reason = "needs PostgreSQL: run with DATABASE_URL=postgresql://postgres:password@127.0.0.1:5432/postgres (make test does)"
    for item in items:
        if "postgres" in item.keywords:
            if IN_CI:
                item.add_marker(pytest.mark.xfail(reason="CI must run PostgreSQL tests on PostgreSQL", strict=True))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _fresh_caches_and_replica_health():
    """Throttle counters, cached environments and replica health must not leak between tests."""
    for alias in settings.CACHES:
        caches[alias].clear()
    clear_compiled_environments()
    replicas.forget_unhealthy_replicas()
    yield
    replicas.reset_request_state()


class FakeDNS(dict):
    """Names a test makes resolvable (name -> addresses); nothing reaches a real resolver."""

    def resolve(self, host: str, port: int) -> list[str]:
        host = host.strip("[]")
        if host in self:
            return list(self[host])
        # A numeric host (127.0.0.1, ::1, 2130706433, 0x7f.1) is parsed locally, never looked up.
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """Every test resolves names through this (``localhost`` is loopback), and may call loopback.

    Webhook receivers in tests listen on 127.0.0.1, so loopback is allowed here;
    the SSRF tests set ``WEBHOOK_ALLOWED_NETWORKS`` back to the empty default.
    """
    dns = FakeDNS(localhost=["127.0.0.1", "::1"])
    monkeypatch.setattr(outbound, "resolve", dns.resolve)
    monkeypatch.setattr(
        settings,
        "WEBHOOK_ALLOWED_NETWORKS",
        [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")],
        raising=False,
    )
    return dns


@pytest.fixture(scope="session")
def memcached_location() -> Iterator[str]:
    """``host:port`` of a memcached started for this test session."""
    yield from cache_servers.run_memcached()


@pytest.fixture
def own_memcached() -> Iterator[cache_servers.MemcachedServer]:
    """A memcached for this test alone, which it may freeze (SIGSTOP) and restart."""
    yield from cache_servers.own_memcached()


@pytest.fixture(scope="session")
def redis_location() -> str:
    return cache_servers.redis_url()


@pytest.fixture
def organisation(db) -> Organisation:
    return OrganisationFactory(name="Acme")


@pytest.fixture
def admin_user(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=OrganisationRole.ADMIN).user


@pytest.fixture
def member_user(organisation: Organisation, project: Project, environment: Environment) -> User:
    from permissions.models import VIEW_ENVIRONMENT, VIEW_IDENTITIES, VIEW_PROJECT
    from permissions.tests.factories import grant

    user = MembershipFactory(organisation=organisation, role=OrganisationRole.USER).user
    grant(user, project, [VIEW_PROJECT])
    grant(user, environment, [VIEW_ENVIRONMENT, VIEW_IDENTITIES])
    return user


@pytest.fixture
def other_organisation(db) -> Organisation:
    return OrganisationFactory(name="Other Corp")


@pytest.fixture
def outsider_user(other_organisation: Organisation) -> User:
    """An admin of another organisation: powerful there, a stranger here."""
    return MembershipFactory(organisation=other_organisation, role=OrganisationRole.ADMIN).user


@pytest.fixture
def project(organisation: Organisation) -> Project:
    return ProjectFactory(organisation=organisation, name="Web")


@pytest.fixture
def environment(project: Project) -> Environment:
    return EnvironmentFactory(project=project, name="Production")


@pytest.fixture
def server_key(environment: Environment) -> EnvironmentAPIKey:
    return create_server_key(environment=environment, name="backend")


@pytest.fixture
def other_project(other_organisation: Organisation) -> Project:
    return ProjectFactory(organisation=other_organisation, name="Secret")


@pytest.fixture
def other_environment(other_project: Project) -> Environment:
    return EnvironmentFactory(project=other_project, name="Secret Production")


def _client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


@pytest.fixture
def api_client_for():
    """Build an authenticated client for any user a test makes."""
    return _client_for


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def admin_client(admin_user: User) -> APIClient:
    return _client_for(admin_user)


@pytest.fixture
def member_client(member_user: User) -> APIClient:
    return _client_for(member_user)


@pytest.fixture
def outsider_client(outsider_user: User) -> APIClient:
    return _client_for(outsider_user)
