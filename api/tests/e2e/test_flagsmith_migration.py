"""Migrating from Flagsmith and back, end to end, on PostgreSQL.

A real Flagsmith 2.265's export (``transfer/tests/flagsmith_2_265/``) goes into an
empty database with ``manage.py import_flagsmith`` and the source's environment
documents; a gunicorn server on that database is then checked by the fixture's own
``verify_sdk_view.py``, which replays what the source Flagsmith answered every SDK
(``/flags/`` with each key, the environment document, 201 stored and 300 transient
identities). The same export goes into a second database with ``--source-url``
(the documents fetched over HTTP from the first server, standing in for the source).
Then ``export_flagsmith`` writes the organisation out, it goes into a third empty
database, and the same check runs against each.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.server import RunningServer, fresh_postgres_database, gunicorn, manage, subprocess_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

FIXTURES = Path(__file__).resolve().parents[2] / "transfer" / "tests" / "flagsmith_2_265"
EXPORT = FIXTURES / "flagsmith-2.265-organisation-export.json"


# Uses up and frees ids 1..200 of the tables whose ids are hashed: in an empty database
# rows made in the file's order would get this fixture's ids by luck.
ADVANCE_ID_SEQUENCES = """
from environments.models import Environment
from features.models import Feature, FeatureState, MultivariateFeatureOption, MultivariateFeatureStateValue
from organisations.models import Organisation
from projects.models import Project
from segments.models import Segment
organisation = Organisation.objects.create(name="scratch")
project = Project.objects.create(name="scratch", organisation=organisation)
environment = Environment.objects.create(project=project, name="scratch")
for n in range(200):
    Segment.objects.create(project=project, name=f"s{n}")
    feature = Feature.objects.create(project=project, name=f"f{n}", type="MULTIVARIATE")
    option = MultivariateFeatureOption.objects.create(feature=feature, string_value="x")
    state = FeatureState.objects.create(feature=feature, environment=environment)
    MultivariateFeatureStateValue.objects.create(feature_state=state, multivariate_feature_option=option)
organisation.delete()
"""


def prepared_database(url: str) -> dict[str, str]:
    """A migrated database whose id sequences have moved on."""
    env = database_env(url)
    manage("migrate", "--noinput", env=env)
    manage("shell", "-c", ADVANCE_ID_SEQUENCES, env=env)
    return env


def database_env(url: str) -> dict[str, str]:
    return subprocess_env(
        DJANGO_SETTINGS_MODULE="app.settings.production",
        DJANGO_SECRET_KEY="migration-secret-key-long-enough-for-production-settings-0123456",
        DATABASE_URL=url,
    )


def verify(server: RunningServer) -> str:
    """verify_sdk_view.py --strict against this server; its output."""
    result = subprocess.run(
        [
            sys.executable,
            str(FIXTURES / "verify_sdk_view.py"),
            "--base-url",
            server.url,
            "--view",
            str(FIXTURES / "expected-sdk-view.json"),
            "--keys",
            str(FIXTURES / "keys.json"),
            "--strict",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr + server.log()[-3000:]
    return result.stdout


def serve(env: dict[str, str], log_path: Path):
    return gunicorn(log_path, ready_path="/health/liveness/", GUNICORN_WORKERS="2", **_database_only(env))


def verify_against(env: dict[str, str], log_path: Path) -> str:
    with serve(env, log_path) as server:
        return verify(server)


def _database_only(env: dict[str, str]) -> dict[str, str]:
    return {name: env[name] for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DATABASE_URL")}


def summary(output: str) -> tuple[int, int, int]:
    found = re.search(r"^(\d+) failed, (\d+) hash-only, (\d+) passed$", output, re.MULTILINE)
    assert found, output
    return int(found[1]), int(found[2]), int(found[3])


def test_flagsmith_export__imported_with_documents_and_round_tripped__every_sdk_gets_what_flagsmith_gave(
    tmp_path,
) -> None:
    with fresh_postgres_database("banderole_import") as first_url:
        first = prepared_database(first_url)
        imported = manage(
            "import_flagsmith",
            str(EXPORT),
            "--environment-documents",
            str(FIXTURES / "environment-documents.json"),
            "--owner",
            "owner@example.com",
            env=first,
        )
        assert "Every identity keeps its percentage-split and multivariate assignment" in imported.stdout
        assert "WARNING" not in imported.stderr

        with serve(first, tmp_path / "first.log") as first_server:
            # 14 checks: flags with each key, keys, document, hashed ids, identities, transient; per environment.
            assert summary(verify(first_server)) == (0, 0, 14)

            # --source-url: the documents fetched over HTTP with the export's server keys, from a
            # running server that has the source's ids (this one stands in for the source Flagsmith).
            with fresh_postgres_database("banderole_fetched") as fetched_url:
                fetched = prepared_database(fetched_url)
                result = manage("import_flagsmith", str(EXPORT), "--source-url", first_server.url, env=fetched)
                assert "WARNING" not in result.stderr
                assert summary(verify_against(fetched, tmp_path / "fetched.log")) == (0, 0, 14)

        exported = tmp_path / "banderole-export.json"
        organisation_id = (
            manage(
                "shell",
                "-c",
                "from organisations.models import Organisation; print(Organisation.objects.get().pk)",
                env=first,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        manage(
            "export_flagsmith", organisation_id, str(exported), "--server-keys", str(FIXTURES / "keys.json"), env=first
        )

    with fresh_postgres_database("banderole_reimport") as second_url:
        second = prepared_database(second_url)
        reimported = manage("import_flagsmith", str(exported), env=second)
        assert "WARNING" not in reimported.stderr

        assert summary(verify_against(second, tmp_path / "second.log")) == (0, 0, 14)

        twice = subprocess.run(
            [sys.executable, "manage.py", "import_flagsmith", str(exported)],
            cwd=Path(__file__).resolve().parents[2],
            env=second,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert twice.returncode != 0
        assert "imported before" in twice.stderr
