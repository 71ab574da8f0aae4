"""Settings parsing: the ``app.envvars`` helpers, and start-up as a deployer sees it.

The helpers are tested in-process with ``monkeypatch.setenv``. Start-up is tested
by running ``manage.py check`` (or a short ``python -c``) in a child process with
a clean environment, because settings are read once at import time and a bad
value must stop the process with one line naming the variable, not a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from app import envvars
from app.envvars import ConfigurationError
from organisations.tests.factories import OrganisationFactory

API_DIR = Path(__file__).resolve().parents[2]
SECRET_KEY = "a-test-secret-key-that-is-comfortably-longer-than-32-characters"
# Variables the settings modules read, by prefix or exact name: removed from the
# child's environment so the developer's shell cannot change the outcome.
SETTINGS_VARIABLE_PREFIXES = (
    "DATABASE_URL",
    "DJANGO_",
    "REPLICA_",
    "SQLITE_PATH",
    "ALLOW_",
    "AXES_",
    "ENABLE_",
    "LOG_LEVEL",
    "DEFAULT_ORG_",
    "SENTRY_",
    "PAGE_SIZE",
    "REALTIME_",
    "ENVIRONMENT_CACHE_",
    "THROTTLE_CACHE_",
)
SETTINGS_VARIABLE_NAMES = {"DEBUG", "ENV", "NUM_PROXIES", "PYTHONPATH"}
PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps({'DATABASES': settings.DATABASES, "
    "'AXES_LOCKOUT_PARAMETERS': settings.AXES_LOCKOUT_PARAMETERS}, default=str))"
)


# --- helpers ------------------------------------------------------------------------


def _is_settings_variable(name: str) -> bool:
    return name in SETTINGS_VARIABLE_NAMES or name.startswith(SETTINGS_VARIABLE_PREFIXES)


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """The current environment minus every settings variable, with SQLite in ``tmp_path``.

    A secret key is set so local settings never write ``api/.django_secret_key``.
    """
    env = {name: value for name, value in os.environ.items() if not _is_settings_variable(name)}
    env["SQLITE_PATH"] = str(tmp_path / "db.sqlite3")
    env["DJANGO_SECRET_KEY"] = SECRET_KEY
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(args: list[str], env: dict[str, str], settings_module: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=API_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": settings_module},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _check(env: dict[str, str], settings_module: str = "app.settings.local") -> subprocess.CompletedProcess[str]:
    return _run(["manage.py", "check"], env, settings_module)


def _settings_of(env: dict[str, str], settings_module: str = "app.settings.local") -> dict:
    result = _run(["-c", PRINT_SETTINGS], env, settings_module)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _lines_naming(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if name in line]


# --- env_bool -------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["true", "True", "TRUE", "1", "yes", "on", " true "])
def test_env_bool__truthy_value__returns_true(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_FLAG", raw)

    assert envvars.env_bool("BANDEROLE_TEST_FLAG", False) is True


@pytest.mark.parametrize("raw", ["false", "False", "0", "no", "off"])
def test_env_bool__falsy_value__returns_false(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_FLAG", raw)

    assert envvars.env_bool("BANDEROLE_TEST_FLAG", True) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled", "truthy"])
def test_env_bool__unknown_value__raises_naming_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_FLAG", raw)

    with pytest.raises(ConfigurationError) as excinfo:
        envvars.env_bool("BANDEROLE_TEST_FLAG", False)

    assert excinfo.value.name == "BANDEROLE_TEST_FLAG"
    assert "BANDEROLE_TEST_FLAG" in str(excinfo.value)
    assert repr(raw) in str(excinfo.value)


def test_env_bool__unset_with_default__returns_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANDEROLE_TEST_FLAG", raising=False)

    assert envvars.env_bool("BANDEROLE_TEST_FLAG", True) is True


def test_env_bool__unset_without_default__raises_saying_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANDEROLE_TEST_FLAG", raising=False)

    with pytest.raises(ConfigurationError, match=r"BANDEROLE_TEST_FLAG.*required"):
        envvars.env_bool("BANDEROLE_TEST_FLAG")


# --- env_int, env_float, env_choice, env_str ----------------------------------------------


def test_env_int__integer_with_spaces__returns_int(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_INT", " 42 ")

    assert envvars.env_int("BANDEROLE_TEST_INT", 0) == 42


@pytest.mark.parametrize("raw", ["", "  "])
def test_env_int__empty__means_unset_and_gives_default(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_INT", raw)

    assert envvars.env_int("BANDEROLE_TEST_INT", 7) == 7


@pytest.mark.parametrize("raw", ["ten", "60s", "1.5"])
def test_env_int__not_an_integer__raises_naming_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_INT", raw)

    with pytest.raises(ConfigurationError, match=r"^BANDEROLE_TEST_INT=.*expected an integer"):
        envvars.env_int("BANDEROLE_TEST_INT", 0)


def test_env_float__decimal__returns_float(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_FLOAT", "2.5")

    assert envvars.env_float("BANDEROLE_TEST_FLOAT", 0.0) == 2.5


def test_env_float__not_a_number__raises_naming_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_FLOAT", "fast")

    with pytest.raises(ConfigurationError, match=r"^BANDEROLE_TEST_FLOAT=.*expected a number"):
        envvars.env_float("BANDEROLE_TEST_FLOAT", 0.0)


def test_env_choice__listed_value__returns_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_CHOICE", "INFO")

    assert envvars.env_choice("BANDEROLE_TEST_CHOICE", ["INFO", "DEBUG"], "DEBUG") == "INFO"


def test_env_choice__unlisted_value__raises_listing_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_CHOICE", "LOUD")

    with pytest.raises(ConfigurationError, match=r"BANDEROLE_TEST_CHOICE='LOUD'.*one of INFO, DEBUG"):
        envvars.env_choice("BANDEROLE_TEST_CHOICE", ["INFO", "DEBUG"], "DEBUG")


def test_env_str__unset_with_none_default__returns_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANDEROLE_TEST_STR", raising=False)

    assert envvars.env_str("BANDEROLE_TEST_STR", None) is None


# --- env_list -------------------------------------------------------------------------


def test_env_list__comma_separated__strips_items_and_drops_empty_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_LIST", " a.example.com , b.example.com,, ")

    assert envvars.env_list("BANDEROLE_TEST_LIST", []) == ["a.example.com", "b.example.com"]


def test_env_list__custom_delimiter__keeps_commas_inside_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_LIST", "x,y;z")

    assert envvars.env_list("BANDEROLE_TEST_LIST", [], delimiter=";") == ["x,y", "z"]


def test_env_list__unset__returns_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANDEROLE_TEST_LIST", raising=False)

    assert envvars.env_list("BANDEROLE_TEST_LIST", ["*"]) == ["*"]


# --- <NAME>_FILE ------------------------------------------------------------------------


def test_file_variable__name_unset__reads_stripped_file_contents(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret-from-a-file\n", encoding="utf-8")
    monkeypatch.delenv("BANDEROLE_TEST_SECRET", raising=False)
    monkeypatch.setenv("BANDEROLE_TEST_SECRET_FILE", str(secret_file))

    assert envvars.env_str("BANDEROLE_TEST_SECRET") == "s3cret-from-a-file"


def test_file_variable__both_set__variable_itself_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file", encoding="utf-8")
    monkeypatch.setenv("BANDEROLE_TEST_SECRET", "from-env")
    monkeypatch.setenv("BANDEROLE_TEST_SECRET_FILE", str(secret_file))

    assert envvars.env_str("BANDEROLE_TEST_SECRET") == "from-env"


def test_file_variable__file_holds_bad_int__raises_naming_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    value_file = tmp_path / "port"
    value_file.write_text("abc", encoding="utf-8")
    monkeypatch.delenv("BANDEROLE_TEST_PORT", raising=False)
    monkeypatch.setenv("BANDEROLE_TEST_PORT_FILE", str(value_file))

    with pytest.raises(ConfigurationError, match=r"^BANDEROLE_TEST_PORT='abc'"):
        envvars.env_int("BANDEROLE_TEST_PORT", 0)


def test_file_variable__missing_file__raises_naming_file_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BANDEROLE_TEST_SECRET", raising=False)
    monkeypatch.setenv("BANDEROLE_TEST_SECRET_FILE", str(tmp_path / "absent"))

    with pytest.raises(ConfigurationError) as excinfo:
        envvars.env_str("BANDEROLE_TEST_SECRET")

    assert excinfo.value.name == "BANDEROLE_TEST_SECRET_FILE"
    assert "readable file" in str(excinfo.value)


def test_is_set__only_file_variable_set__returns_true(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("value", encoding="utf-8")
    monkeypatch.delenv("BANDEROLE_TEST_SECRET", raising=False)
    monkeypatch.setenv("BANDEROLE_TEST_SECRET_FILE", str(secret_file))

    assert envvars.is_set("BANDEROLE_TEST_SECRET") is True


def test_is_set__empty_value__returns_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDEROLE_TEST_SECRET", "")

    assert envvars.is_set("BANDEROLE_TEST_SECRET") is False


# --- parse_database_url -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["nonsense", "unknownscheme://user@host/db", "postgres://user@host:port/db"])
def test_parse_database_url__malformed__raises_naming_variable(url: str) -> None:
    with pytest.raises(ConfigurationError) as excinfo:
        envvars.parse_database_url("DATABASE_URL", url)

    assert excinfo.value.name == "DATABASE_URL"
    assert str(excinfo.value).startswith("DATABASE_URL=")


def test_parse_database_url__malformed_url_with_password__message_masks_password() -> None:
    with pytest.raises(ConfigurationError) as excinfo:
        envvars.parse_database_url("DATABASE_URL", "postgres://app:hunter2@db.internal:port/flags")

    assert "hunter2" not in str(excinfo.value)
    assert "postgres://app:***@db.internal:port/flags" in str(excinfo.value)


def test_parse_database_url__postgres_url__returns_django_settings_dict() -> None:
    config = envvars.parse_database_url(
        "DATABASE_URL", "postgres://banderole:pw@db.internal:6543/flags", conn_max_age=30
    )

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"], config["PASSWORD"]) == (
        "db.internal",
        6543,
        "flags",
        "banderole",
        "pw",
    )
    assert config["CONN_MAX_AGE"] == 30


def test_configuration_error__any__is_improperly_configured() -> None:
    assert issubclass(ConfigurationError, ImproperlyConfigured)


# --- start-up: malformed values stop the process with one line -------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("ENABLE_GZIP_COMPRESSION", "maybe"),
        ("AXES_FAILURE_LIMIT", "ten"),
        ("DJANGO_DB_PORT", "abc"),
        ("LOG_LEVEL", "LOUD"),
        ("REALTIME_HEARTBEAT_SECONDS", "0"),
    ],
)
def test_manage_check__malformed_variable__exits_with_one_line_naming_it(
    clean_env: dict[str, str], variable: str, value: str
) -> None:
    result = _check({**clean_env, variable: value})

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(_lines_naming(result.stderr, variable)) == 1, result.stderr
    assert repr(value) in result.stderr


def test_manage_check__malformed_database_url_with_password__does_not_print_password(
    clean_env: dict[str, str],
) -> None:
    result = _check({**clean_env, "DATABASE_URL": "postgres://app:hunter2@db.internal:port/flags"})

    assert result.returncode != 0
    assert len(_lines_naming(result.stderr, "DATABASE_URL")) == 1, result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_manage_check__production_without_secret_key__refuses_naming_secret_key(clean_env: dict[str, str]) -> None:
    env = {name: value for name, value in clean_env.items() if name != "DJANGO_SECRET_KEY"}

    result = _check({**env, "ALLOW_SQLITE_IN_PRODUCTION": "true"}, "app.settings.production")

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(_lines_naming(result.stderr, "DJANGO_SECRET_KEY")) == 1, result.stderr


def test_manage_check__production_without_database__refuses_naming_database_url(clean_env: dict[str, str]) -> None:
    result = _check(clean_env, "app.settings.production")

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(_lines_naming(result.stderr, "DATABASE_URL")) == 1, result.stderr


def test_manage_check__production_allowing_sqlite_with_secret_key__passes(clean_env: dict[str, str]) -> None:
    result = _check({**clean_env, "ALLOW_SQLITE_IN_PRODUCTION": "true"}, "app.settings.production")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


# --- start-up: what the settings become --------------------------------------------------------


def test_local_settings__no_database_variables__use_sqlite_at_sqlite_path(clean_env: dict[str, str]) -> None:
    databases = _settings_of(clean_env)["DATABASES"]

    assert list(databases) == ["default"]
    assert databases["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert databases["default"]["NAME"] == clean_env["SQLITE_PATH"]


def test_local_settings__django_db_variables__use_postgresql_with_those_values(clean_env: dict[str, str]) -> None:
    env = {
        **clean_env,
        "DJANGO_DB_HOST": "db.internal",
        "DJANGO_DB_NAME": "flags",
        "DJANGO_DB_USER": "banderole",
        "DJANGO_DB_PORT": "6543",
    }

    default = _settings_of(env)["DATABASES"]["default"]

    assert default["ENGINE"] == "django.db.backends.postgresql"
    assert (default["HOST"], default["NAME"], default["USER"], str(default["PORT"])) == (
        "db.internal",
        "flags",
        "banderole",
        "6543",
    )


def test_local_settings__database_url_and_django_db_variables__database_url_wins(clean_env: dict[str, str]) -> None:
    env = {
        **clean_env,
        "DATABASE_URL": "postgres://from_url:pw@url-host:5433/url_db",
        "DJANGO_DB_HOST": "db-vars-host",
        "DJANGO_DB_NAME": "db_vars_db",
    }

    default = _settings_of(env)["DATABASES"]["default"]

    assert (default["HOST"], default["NAME"], default["USER"]) == ("url-host", "url_db", "from_url")


def test_local_settings__two_replica_urls__become_replica_aliases_with_connect_timeout(
    clean_env: dict[str, str],
) -> None:
    env = {
        **clean_env,
        "DATABASE_URL": "postgres://app:pw@primary:5432/flags",
        "REPLICA_DATABASE_URLS": "postgres://ro:pw@replica-a:5432/flags, postgres://ro:pw@replica-b:5432/flags",
    }

    databases = _settings_of(env)["DATABASES"]

    assert sorted(databases) == ["default", "replica_1", "replica_2"]
    assert databases["replica_1"]["HOST"] == "replica-a"
    assert databases["replica_2"]["HOST"] == "replica-b"
    assert databases["replica_1"]["OPTIONS"]["connect_timeout"] == 2
    assert databases["replica_2"]["OPTIONS"]["connect_timeout"] == 2


def test_local_settings__replica_delimiter_semicolon__keeps_comma_in_password(clean_env: dict[str, str]) -> None:
    env = {
        **clean_env,
        "DATABASE_URL": "postgres://app:pw@primary:5432/flags",
        "REPLICA_DATABASE_URLS_DELIMITER": ";",
        "REPLICA_DATABASE_URLS": "postgres://ro:pass,word@replica-a:5432/flags;postgres://ro:pw@replica-b:5432/flags",
    }

    databases = _settings_of(env)["DATABASES"]

    assert sorted(databases) == ["default", "replica_1", "replica_2"]
    assert databases["replica_1"]["PASSWORD"] == "pass,word"
    assert databases["replica_1"]["HOST"] == "replica-a"
    assert databases["replica_2"]["HOST"] == "replica-b"


def test_local_settings__axes_only_user_failures_false__locks_out_by_ip_address_too(
    clean_env: dict[str, str],
) -> None:
    parameters = _settings_of({**clean_env, "AXES_ONLY_USER_FAILURES": "false"})["AXES_LOCKOUT_PARAMETERS"]

    assert "ip_address" in parameters
    assert "username" in parameters


def test_production_settings__throttle_rates_unset__flagsmith_defaults(clean_env: dict[str, str]) -> None:
    env = {name: value for name, value in clean_env.items() if not name.endswith("_THROTTLE_RATE")}
    env["DATABASE_URL"] = "postgresql://postgres@127.0.0.1:5432/unused"
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))"
    )

    result = _run(["-c", script], env, "app.settings.production")

    assert result.returncode == 0, result.stderr
    rates = json.loads(result.stdout.strip().splitlines()[-1])
    # Flagsmith 2.265, api/app/settings/common.py:344-375 (its invite rate is fixed there).
    assert rates["login"] == "20/min"
    assert rates["signup"] == "10000/min"
    assert rates["invite"] == "10/min"
    assert rates["user"] is None
    assert rates["master_api_key"] is None


def _throttle_cache_of(env: dict[str, str]) -> dict:
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CACHES['throttles'], default=str))"
    )
    result = _run(["-c", script], env, "app.settings.local")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_local_settings__no_shared_cache__throttles_count_per_process(clean_env: dict[str, str]) -> None:
    assert _throttle_cache_of(clean_env)["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_local_settings__shared_environment_cache__throttles_count_there(clean_env: dict[str, str]) -> None:
    env = {
        **clean_env,
        "ENVIRONMENT_CACHE_BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "ENVIRONMENT_CACHE_LOCATION": "127.0.0.1:11211",
    }

    throttles = _throttle_cache_of(env)

    # The environment cache's backend: Banderole's circuit-breaking subclass of Django's.
    assert throttles["BACKEND"] == "core.memcached.PyMemcacheCache"
    assert throttles["LOCATION"] == "127.0.0.1:11211"


# --- settings used at run time ------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(DEFAULT_ORG_STORE_TRAITS_VALUE=False)
def test_default_org_store_traits_value__false__new_organisation_does_not_persist_traits() -> None:
    organisation = OrganisationFactory()

    assert organisation.persist_trait_data is False


@pytest.mark.django_db
@override_settings(DEFAULT_ORG_STORE_TRAITS_VALUE=True)
def test_default_org_store_traits_value__true__new_organisation_persists_traits() -> None:
    organisation = OrganisationFactory()

    assert organisation.persist_trait_data is True
