"""import_flagsmith / export_flagsmith against a real Flagsmith 2.265 export (flagsmith_2_265/)."""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from audit.models import AuditLog
from documents.store import clear_compiled_environments
from environments.models import Environment, EnvironmentAPIKey
from features.models import Feature, FeatureState, MultivariateFeatureOption, MultivariateFeatureStateValue
from identities.models import Identity, Trait
from organisations.models import Organisation, OrganisationRole, UserOrganisation
from projects.models import Project
from segments.models import Segment
from transfer.exporter import export_organisation
from transfer.flagsmith_format import ExportFileError, parse_export
from transfer.importer import import_organisation
from users.models import User

FIXTURES = Path(__file__).parent / "flagsmith_2_265"
EXPORT_PATH = FIXTURES / "flagsmith-2.265-organisation-export.json"
DOCUMENTS_PATH = FIXTURES / "environment-documents.json"
KEYS = json.loads((FIXTURES / "keys.json").read_text())
ORIGINAL_IDS = json.loads((FIXTURES / "original-ids.json").read_text())
VIEW = json.loads((FIXTURES / "expected-sdk-view.json").read_text())

_spec = importlib.util.spec_from_file_location("verify_sdk_view", FIXTURES / "verify_sdk_view.py")
assert _spec and _spec.loader
verify = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(verify)

pytestmark = pytest.mark.django_db


def export_objects() -> list[dict[str, Any]]:
    return json.loads(EXPORT_PATH.read_text())


def documents() -> dict[str, Any]:
    return json.loads(DOCUMENTS_PATH.read_text())


def import_objects(objects: list[dict[str, Any]], **kwargs: Any):
    return import_organisation(parse_export(json.dumps(objects)), **kwargs)


def nothing_written() -> bool:
    return not any(
        model.objects.exists() for model in (Organisation, Project, Environment, Feature, Segment, Identity, Trait)
    )


def sdk(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_ENVIRONMENT_KEY=key)
    return client


def environment_view(name: str) -> dict[str, Any]:
    return next(env for env in VIEW["environments"] if env["name"] == name)


def sdk_answers(environment: dict[str, Any]) -> dict[str, Any]:
    """What this server answers an environment's SDKs: flags, document (by name and hashed ids), identities."""
    document = sdk(environment["server_key"]).get("/api/v1/environment-document/").json()
    return {
        "flags": verify.norm_flags(sdk(environment["client_key"]).get("/api/v1/flags/").json()),
        "document": verify.env_doc_semantic(document),
        "ids": verify.env_doc_ids(document),
        "identities": {
            row["identifier"]: verify.norm_flags(
                sdk(environment["client_key"])
                .get("/api/v1/identities/", {"identifier": row["identifier"]})
                .json()["flags"]
            )
            for row in environment["identities"]
        },
    }


def advance_id_sequences() -> None:
    """Use up and free ids 1..200 of the hashed tables, so that new rows no longer get the source's ids by luck.

    In an empty database, rows created in the file's order happen to get this
    fixture's ids; after this, only an importer that keeps the ids gets them.
    """
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


def hashed_ids() -> dict[str, dict[str, int]]:
    return {
        "segments": {str(s.uuid): s.pk for s in Segment.objects.all()},
        "feature_states": {str(s.uuid): s.pk for s in FeatureState.objects.all()},
        "weights": {str(m.uuid): m.pk for m in MultivariateFeatureStateValue.objects.all()},
    }


SOURCE_IDS = {
    "segments": {s["uuid"]: s["id"] for s in ORIGINAL_IDS["segments"]},
    "feature_states": {s["uuid"]: s["django_id"] for s in ORIGINAL_IDS["feature_states"]},
    "weights": {m["uuid"]: m["id"] for m in ORIGINAL_IDS["multivariate_feature_state_values"]},
}


# --- a complete import, with the source's ids --------------------------------------------------------


def test_import__with_documents__every_hashed_row_keeps_the_source_id() -> None:
    advance_id_sequences()

    import_objects(export_objects(), documents=documents())

    assert hashed_ids() == SOURCE_IDS


def test_import__without_documents_after_other_rows__hashed_ids_differ_from_the_source() -> None:
    # The control for the test above: the sequences really are moved on.
    advance_id_sequences()

    import_objects(export_objects())

    ids = hashed_ids()
    assert all(ids[part][uuid] != SOURCE_IDS[part][uuid] for part in ids for uuid in ids[part])


def test_import__with_documents__creates_everything_and_every_sdk_answer_is_flagsmiths() -> None:
    advance_id_sequences()

    result = import_objects(export_objects(), documents=documents())

    assert result.changed_assignments == {}
    organisation = result.organisation
    assert (organisation.name, str(organisation.uuid)) == ("compat-org-shared", ORIGINAL_IDS["organisation"]["uuid"])
    assert Feature.objects.filter(project__organisation=organisation).count() == 44
    assert Segment.objects.count() == 29
    assert FeatureState.objects.count() == 132
    assert Identity.objects.count() == 201 and Trait.objects.count() == 817
    # Every hashed id is the source's.
    assert {str(s.uuid): s.pk for s in Segment.objects.all()} == {s["uuid"]: s["id"] for s in ORIGINAL_IDS["segments"]}
    for environment in VIEW["environments"]:
        answers = sdk_answers(environment)
        assert answers["flags"] == verify.norm_flags(environment["flags_client"])
        assert answers["document"] == verify.env_doc_semantic(environment["environment_document"])
        assert answers["ids"] == verify.env_doc_ids(environment["environment_document"])
        expected = {row["identifier"]: row["flags"] for row in environment["identities"]}
        differing = [name for name, flags in answers["identities"].items() if verify.diff_flags(expected[name], flags)]
        assert differing == []


def test_import__server_keys__stored_hashed_and_still_open_the_environment() -> None:
    import_objects(export_objects(), documents=documents())

    for environment in KEYS["environments"]:
        for key in environment["server_keys"]:
            stored = EnvironmentAPIKey.objects.get(environment__api_key=environment["client_key"])
            assert stored.key_hash == hashlib.sha256(key["key"].encode()).hexdigest()
            assert key["key"] not in json.dumps(list(EnvironmentAPIKey.objects.values()), default=str)
            assert sdk(key["key"]).get("/api/v1/flags/").status_code == 200


def test_import__inactive_or_expired_server_key__stays_refused() -> None:
    objects = export_objects()
    keys = [o for o in objects if o["model"] == "environments.environmentapikey"]
    keys[0]["fields"]["active"] = False
    keys[1]["fields"]["expires_at"] = "2020-01-01T00:00:00.000Z"

    import_objects(objects)

    for key in keys:
        assert sdk(key["fields"]["key"]).get("/api/v1/flags/").status_code in (401, 403)


def test_import__typed_traits__keep_their_types() -> None:
    import_objects(export_objects())

    source = {
        (o["fields"]["identity"][0], o["fields"]["identity"][1], o["fields"]["trait_key"]): o["fields"]
        for o in export_objects()
        if o["model"] == "traits.trait"
    }
    stored = {
        (t.identity.identifier, t.identity.environment.api_key, t.trait_key): t
        for t in Trait.objects.select_related("identity__environment")
    }
    assert set(stored) == set(source)
    for key, fields in source.items():
        value_field = {
            "unicode": "string_value",
            "int": "integer_value",
            "float": "float_value",
            "bool": "boolean_value",
        }
        assert stored[key].value_type == fields["value_type"]
        assert stored[key].trait_value == fields[value_field[fields["value_type"]]]


# --- without the source's ids ------------------------------------------------------------------------


def test_import__without_documents__imports_everything_and_lists_the_features_whose_assignments_change() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("import_flagsmith", str(EXPORT_PATH), stdout=stdout, stderr=stderr)

    assert FeatureState.objects.count() == 132 and Identity.objects.count() == 201
    warning = stderr.getvalue()
    assert "WARNING" in warning
    for environment in VIEW["environments"]:
        line = next(line for line in warning.splitlines() if line.strip().startswith(environment["name"] + ":"))
        assert line.split(":", 1)[1].strip().split(", ") == environment["hash_sensitive"]["features"]
    # Everything outside those features is the same.
    for environment in VIEW["environments"]:
        answers = sdk_answers(environment)
        sensitive = set(environment["hash_sensitive"]["features"])
        expected = {row["identifier"]: row["flags"] for row in environment["identities"]}
        for identifier, flags in answers["identities"].items():
            assert all(name in sensitive for name, _, _ in verify.diff_flags(expected[identifier], flags))


def test_import__with_documents__says_every_identity_keeps_its_assignment() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command(
        "import_flagsmith",
        str(EXPORT_PATH),
        "--environment-documents",
        str(DOCUMENTS_PATH),
        stdout=stdout,
        stderr=stderr,
    )

    assert "WARNING" not in stderr.getvalue()
    assert "Every identity keeps its percentage-split and multivariate assignment" in stdout.getvalue()


def test_import__source_url__fetches_the_documents_with_the_exports_server_keys() -> None:
    by_server_key = {env["server_keys"][0]["key"]: documents()[env["client_key"]] for env in KEYS["environments"]}
    seen: list[str] = []

    class Source(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            key = self.headers.get("X-Environment-Key", "")
            seen.append(f"{self.path} {key}")
            body = json.dumps(by_server_key.get(key, {"detail": "no"})).encode()
            self.send_response(200 if key in by_server_key and self.path == "/api/v1/environment-document/" else 403)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    advance_id_sequences()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Source)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        stderr = io.StringIO()
        call_command(
            "import_flagsmith",
            str(EXPORT_PATH),
            "--source-url",
            f"http://127.0.0.1:{server.server_port}/",
            stdout=io.StringIO(),
            stderr=stderr,
        )
    finally:
        server.shutdown()
        server.server_close()

    assert sorted(seen) == sorted(f"/api/v1/environment-document/ {key}" for key in by_server_key)
    assert "WARNING" not in stderr.getvalue()
    assert {str(s.uuid): s.pk for s in Segment.objects.all()} == {s["uuid"]: s["id"] for s in ORIGINAL_IDS["segments"]}
    assert {str(m.uuid): m.pk for m in MultivariateFeatureStateValue.objects.all()} == {
        m["uuid"]: m["id"] for m in ORIGINAL_IDS["multivariate_feature_state_values"]
    }


def test_import__source_ids_already_used_here__refused_naming_the_object() -> None:
    other = Organisation.objects.create(name="other")
    Segment.objects.create(pk=11, project=Project.objects.create(name="p", organisation=other), name="taken")

    with pytest.raises(ExportFileError, match=r"seg_percentage_split.*id 11"):
        import_objects(export_objects(), documents=documents())

    assert not Organisation.objects.exclude(pk=other.pk).exists()


# --- twice, malformed, partial ------------------------------------------------------------------------


def test_import__the_same_export_twice__refused_clearly_and_nothing_changes() -> None:
    call_command("import_flagsmith", str(EXPORT_PATH), stdout=io.StringIO(), stderr=io.StringIO())
    counts = (Organisation.objects.count(), FeatureState.objects.count(), Identity.objects.count())

    with pytest.raises(CommandError, match=r"already here.*imported before.*Nothing was imported"):
        call_command("import_flagsmith", str(EXPORT_PATH), stdout=io.StringIO(), stderr=io.StringIO())

    assert (Organisation.objects.count(), FeatureState.objects.count(), Identity.objects.count()) == counts


def _first(objects: list[dict[str, Any]], model: str, index: int = 0) -> dict[str, Any]:
    return [o for o in objects if o["model"] == model][index]["fields"]


def _not_a_list(objects):
    return {"objects": objects}


def _missing_field(objects):
    _first(objects, "features.feature", 3).pop("uuid")


def _dangling_reference(objects):
    _first(objects, "features.featurestate", -1)["feature"] = ["00000000-0000-0000-0000-000000000000"]


def _wrong_type(objects):
    _first(objects, "traits.trait", 5)["integer_value"] = "twelve"


def _out_of_range(objects):
    _first(objects, "features.featurestatevalue", 7)["integer_value"] = 2**40


def _unknown_operator(objects):
    _first(objects, "segments.condition")["operator"] = "SOUNDS_LIKE"


def _partial(objects):
    # The file stops before the features its feature states name.
    return [o for o in objects if o["model"] != "features.feature"]


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (_not_a_list, "must be a JSON array"),
        (_missing_field, r"features\.feature #\d+ .*field 'uuid' is missing"),
        (
            _dangling_reference,
            r"features\.featurestate #\d+ \([0-9a-f-]+\): field 'feature' refers to features\.feature "
            r"\['00000000-0000-0000-0000-000000000000'\], which the file does not contain",
        ),
        (_wrong_type, r"traits\.trait #\d+ \(.*\): field 'integer_value' must be int"),
        (_out_of_range, r"features\.featurestatevalue #\d+ .*integer_value"),
        (_unknown_operator, r"segments\.condition #\d+ .*SOUNDS_LIKE"),
        (_partial, r"refers to features\.feature .*which the file does not contain"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else None,
)
def test_import__malformed_file__fails_naming_the_object_and_writes_nothing(break_it, message) -> None:
    objects = export_objects()
    objects = break_it(objects) or objects

    with pytest.raises(ExportFileError, match=message):
        import_objects(objects)

    assert nothing_written()


def test_import__not_json__command_error_and_nothing_written(tmp_path) -> None:
    path = tmp_path / "export.json"
    path.write_text(EXPORT_PATH.read_text()[:100_000])  # cut short

    with pytest.raises(CommandError, match=r"not JSON.*Nothing was imported"):
        call_command("import_flagsmith", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert nothing_written()


def test_import__database_refuses_a_row_late__everything_before_it_is_rolled_back() -> None:
    objects = export_objects()
    # Two multivariate weights for one option of one state: only the database's constraint sees it.
    weights = [o for o in objects if o["model"] == "multivariate.multivariatefeaturestatevalue"]
    duplicate = copy.deepcopy(weights[0])
    duplicate["fields"]["uuid"] = "11111111-1111-1111-1111-111111111111"
    objects.append(duplicate)

    with pytest.raises(ExportFileError, match="database refused"):
        import_objects(objects)

    assert nothing_written()
    assert not FeatureState.objects.exists()


# --- the owner ----------------------------------------------------------------------------------------


def test_import__owner_new_user__created_without_password_as_admin() -> None:
    stdout = io.StringIO()

    call_command(
        "import_flagsmith", str(EXPORT_PATH), "--owner", "new.owner@example.com", stdout=stdout, stderr=io.StringIO()
    )

    user = User.objects.get(email="new.owner@example.com")
    assert not user.has_usable_password()
    membership = UserOrganisation.objects.get(user=user)
    assert membership.role == OrganisationRole.ADMIN and membership.organisation.name == "compat-org-shared"
    assert "new user" in stdout.getvalue()
    entries = AuditLog.objects.filter(organisation=membership.organisation)
    assert [(e.related_object_type, e.source, e.author_id) for e in entries.order_by("id")] == [
        ("ORGANISATION", "COMMAND", user.pk),
        ("MEMBERSHIP", "COMMAND", user.pk),
    ]
    assert "imported from a Flagsmith export" in entries.order_by("id").first().log


def test_import__owner_existing_user__becomes_admin_and_sees_the_organisation() -> None:
    user = User.objects.create_user(email="Existing@Example.com", password="a-password-1234")

    result = import_objects(export_objects(), owner_email="existing@example.com")

    assert result.owner == user and not result.owner_created
    assert UserOrganisation.objects.get(user=user, organisation=result.organisation).role == OrganisationRole.ADMIN
    client = APIClient()
    client.force_authenticate(user)
    assert [o["name"] for o in client.get("/api/v1/organisations/").json()["results"]] == ["compat-org-shared"]
    projects = client.get("/api/v1/projects/").json()
    assert [p["name"] for p in (projects["results"] if isinstance(projects, dict) else projects)] == [
        "compat-project-shared"
    ]


def test_import__invalid_owner_email__refused_and_nothing_written() -> None:
    with pytest.raises(ExportFileError, match="--owner"):
        import_objects(export_objects(), owner_email="not an email")

    assert nothing_written()


# --- export, and the round trip -----------------------------------------------------------------------


def test_export__writes_flagsmiths_format__same_models_and_fields_as_its_export() -> None:
    result = import_objects(export_objects(), documents=documents())

    exported = export_organisation(
        result.organisation, [k["key"] for e in KEYS["environments"] for k in e["server_keys"]]
    )

    source = export_objects()
    assert [o["model"] for o in exported.objects] == [o["model"] for o in source]
    fields = {o["model"]: set(o["fields"]) for o in source}
    assert all(set(o["fields"]) == fields[o["model"]] for o in exported.objects)
    assert exported.missing_server_keys == []
    # Hashed rows carry their ids; natural keys are the source's.
    ids = {o["fields"]["uuid"]: o["pk"] for o in exported.objects if o["model"] == "segments.segment"}
    assert ids == {s["uuid"]: s["id"] for s in ORIGINAL_IDS["segments"]}
    assert {o["fields"]["api_key"] for o in exported.objects if o["model"] == "environments.environment"} == {
        e["client_key"] for e in KEYS["environments"]
    }


def test_export__without_server_keys__leaves_them_out_and_says_so(tmp_path) -> None:
    organisation = import_objects(export_objects()).organisation
    stderr = io.StringIO()

    call_command("export_flagsmith", str(organisation.pk), str(tmp_path / "out.json"), stderr=stderr)

    written = json.loads((tmp_path / "out.json").read_text())
    assert not [o for o in written if o["model"] == "environments.environmentapikey"]
    assert "compat-server-key-shared" in stderr.getvalue() and "WARNING" in stderr.getvalue()


def test_export__unknown_organisation__command_error(tmp_path) -> None:
    with pytest.raises(CommandError, match="No organisation with id 999"):
        call_command("export_flagsmith", "999", str(tmp_path / "out.json"))


def test_round_trip__import_export_import_in_an_empty_database__same_sdk_answers(tmp_path) -> None:
    advance_id_sequences()
    organisation = import_objects(export_objects(), documents=documents()).organisation
    before = {env["name"]: sdk_answers(env) for env in VIEW["environments"]}
    path = tmp_path / "banderole-export.json"
    call_command(
        "export_flagsmith",
        str(organisation.pk),
        str(path),
        "--server-keys",
        str(FIXTURES / "keys.json"),
        stderr=io.StringIO(),
    )
    organisation.delete()
    User.objects.all().delete()
    assert nothing_written()
    # As a new database behind a new process: nothing remembers the old environments.
    for alias in settings.CACHES:
        caches[alias].clear()
    clear_compiled_environments()

    # No documents: the ids come from the pks the export wrote.
    stderr = io.StringIO()
    call_command("import_flagsmith", str(path), stdout=io.StringIO(), stderr=stderr)

    assert "WARNING" not in stderr.getvalue()
    after = {env["name"]: sdk_answers(env) for env in VIEW["environments"]}
    assert after == before
    assert hashed_ids() == SOURCE_IDS


def test_import__with_source_ids__new_rows_afterwards_get_free_ids() -> None:
    organisation = import_objects(export_objects(), documents=documents()).organisation
    project = organisation.projects.get()
    state = FeatureState.objects.filter(feature_segment__isnull=True, identity__isnull=True).first()

    segment = Segment.objects.create(project=project, name="after the import")
    identity = Identity.objects.create(environment=state.environment, identifier="after-the-import")
    override = FeatureState.objects.create(feature=state.feature, environment=state.environment, identity=identity)

    assert segment.pk > max(s["id"] for s in ORIGINAL_IDS["segments"])
    assert override.pk > max(s["django_id"] for s in ORIGINAL_IDS["feature_states"])


def test_import__feature_state_with_mv_hashing_salt__stored_under_its_seed() -> None:
    objects = export_objects()
    state = next(o for o in objects if o["model"] == "features.featurestate" and o["fields"]["uuid"] == MV_STATE_UUID)
    state["pk"] = 5
    state["fields"]["mv_hashing_salt"] = 999

    import_objects(objects)

    # The id Flagsmith hashes for it is the salt, and Banderole hashes the id.
    assert FeatureState.objects.get(uuid=MV_STATE_UUID).pk == 999


# f_mv_string's default in production: the state of the environment document's first weights.
MV_STATE_UUID = "89e8efeb-1efc-4a6d-adc3-8aeda80f574e"


def test_import__client_key_of_another_organisation__refused_naming_the_environment() -> None:
    other = Organisation.objects.create(name="other")
    project = Project.objects.create(name="p", organisation=other)
    Environment.objects.create(project=project, name="theirs", api_key=KEYS["environments"][1]["client_key"])

    with pytest.raises(
        ExportFileError, match=r"environment compat-project-shared / compat-env-shared-staging .*exists"
    ):
        import_objects(export_objects())

    assert Organisation.objects.count() == 1 and Feature.objects.count() == 0


def test_import__feature_uuid_of_another_organisation__refused_naming_the_feature() -> None:
    other = Organisation.objects.create(name="other")
    project = Project.objects.create(name="p", organisation=other)
    source = _first(export_objects(), "features.feature", 0)
    Feature.objects.create(project=project, name="theirs", uuid=source["uuid"])

    with pytest.raises(ExportFileError, match=rf"feature {source['name']} \(uuid {source['uuid']}\) exists already"):
        import_objects(export_objects())

    assert Organisation.objects.count() == 1


def test_import__server_key_of_another_environment__refused_without_showing_the_key() -> None:
    other = Organisation.objects.create(name="other")
    environment = Environment.objects.create(project=Project.objects.create(name="p", organisation=other), name="e")
    key = EnvironmentAPIKey(environment=environment, name="theirs")
    key.set_key(KEYS["environments"][0]["server_keys"][0]["key"])
    key.save()

    with pytest.raises(ExportFileError, match="server-side key 'compat-server-key-shared' exists already") as error:
        import_objects(export_objects())

    assert KEYS["environments"][0]["server_keys"][0]["key"] not in str(error.value)


@pytest.mark.parametrize(
    "document",
    [
        {"feature_states": "no"},
        {"project": {}},
        {"feature_states": [{"featurestate_uuid": MV_STATE_UUID}], "project": {"segments": []}},
    ],
    ids=["states-not-a-list", "no-segments", "state-without-id"],
)
def test_import__malformed_environment_document__refused_naming_the_environment(document) -> None:
    given = documents()
    given[KEYS["environments"][0]["client_key"]] = document

    with pytest.raises(
        ExportFileError, match=rf"environment document of environment {KEYS['environments'][0]['client_key']}"
    ):
        import_objects(export_objects(), documents=given)

    assert nothing_written()


def test_import__documents_disagree_on_an_id__refused() -> None:
    given = documents()
    production, staging = (given[e["client_key"]] for e in KEYS["environments"])
    staging["project"]["segments"][0]["id"] = production["project"]["segments"][0]["id"] + 1000

    with pytest.raises(ExportFileError, match=r"disagree on the id of segments\.segment"):
        import_objects(export_objects(), documents=given)


def test_export__without_ids__no_pks_and_an_import_lists_the_changing_features(tmp_path) -> None:
    organisation = import_objects(export_objects(), documents=documents()).organisation
    path = tmp_path / "out.json"

    call_command("export_flagsmith", str(organisation.pk), str(path), "--without-ids", stderr=io.StringIO())

    written = json.loads(path.read_text())
    assert not [o for o in written if "pk" in o]
    organisation.delete()
    result = import_objects(written)
    assert result.changed_assignments == {
        env["name"]: env["hash_sensitive"]["features"] for env in VIEW["environments"]
    }


def test_import__query_budget__bulk_inserts_not_a_query_per_object(django_assert_max_num_queries) -> None:
    export = parse_export(EXPORT_PATH.read_bytes())

    # 1,535 objects: checks, one INSERT per model and 500 rows, the audit entry, the version bump.
    with django_assert_max_num_queries(100):
        import_organisation(export, documents=documents())


def test_import__invite_links_and_organisation_webhooks__come_over_and_go_back() -> None:
    objects = export_objects()
    organisation_key = [ORIGINAL_IDS["organisation"]["uuid"]]
    # Flagsmith exports both right after the organisation (this fixture's organisation has none).
    objects[1:1] = [
        {
            "model": "invites.invitelink",
            "fields": {
                "uuid": "3f1c6a52-8a3e-4d0e-9f57-0c1b2a3d4e5f",
                "hash": "a-shared-invite-hash",
                "date_created": "2026-12-04T04:06:47.513Z",
                "organisation": organisation_key,
                "role": "USER",
                "expires_at": None,
            },
        },
        {
            "model": "organisations.organisationwebhook",
            "fields": {
                "uuid": "5a9d0b7e-1c2f-4e3d-8a6b-7c8d9e0f1a2b",
                "url": "http://100.64.0.9:9/org-hook",
                "secret": "org-secret",
                "name": "audit feed",
                "enabled": False,
                "organisation": organisation_key,
                "created_at": "2026-12-04T04:06:47.513Z",
                "updated_at": "2026-12-04T04:06:47.513Z",
            },
        },
    ]

    organisation = import_objects(objects).organisation

    link = organisation.invite_links.get()
    assert (link.hash, link.role, link.expires_at) == ("a-shared-invite-hash", "USER", None)
    webhook = organisation.webhooks.get()
    assert (webhook.name, webhook.url, webhook.secret, webhook.enabled) == (
        "audit feed",
        "http://100.64.0.9:9/org-hook",
        "org-secret",
        False,
    )
    exported = export_organisation(organisation).objects
    assert [o["model"] for o in exported[:4]] == [
        "organisations.organisation",
        "invites.invitelink",
        "organisations.organisationwebhook",
        "organisations.subscription",
    ]
    assert {k: v for k, v in exported[1]["fields"].items() if k != "uuid"} == {
        k: v for k, v in objects[1]["fields"].items() if k not in ("uuid", "date_created")
    } | {"date_created": exported[1]["fields"]["date_created"]}
