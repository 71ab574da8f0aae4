"""``manage.py create_benchmark_data``: the benchmark's data set, built small and served by the SDK API."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from features.models import Feature, FeatureSegment, FeatureType
from identities.models import Identity, Trait
from organisations.models import Organisation
from sdk.management.commands.create_benchmark_data import ORGANISATION_NAME
from sdk.tests.conftest import sdk_client
from segments.models import Condition, Segment

SMALL = ("--features", "5", "--multivariate", "2", "--segments", "4", "--overrides", "6", "--identities", "10")


def _create(*args: str) -> dict[str, Any]:
    stdout = io.StringIO()
    call_command("create_benchmark_data", *args, stdout=stdout, stderr=io.StringIO())
    return json.loads(stdout.getvalue().strip().splitlines()[-1])


@pytest.mark.django_db
def test_create_benchmark_data__small_counts__creates_exactly_what_was_asked() -> None:
    _create(*SMALL)

    organisation = Organisation.objects.get(name=ORGANISATION_NAME)
    project = organisation.projects.get()
    assert project.prevent_flag_defaults is False
    features = Feature.objects.filter(project=project)
    assert features.count() == 5
    multivariate = features.filter(type=FeatureType.MULTIVARIATE)
    assert multivariate.count() == 2
    assert all(2 <= feature.multivariate_options.count() <= 3 for feature in multivariate)
    segments = Segment.objects.filter(project=project)
    assert segments.count() == 4
    assert all(2 <= Condition.objects.filter(rule__segment=segment).count() <= 5 for segment in segments)
    assert FeatureSegment.objects.filter(feature__project=project).count() == 6
    assert Identity.objects.filter(environment__project=project).count() == 10
    assert Trait.objects.filter(identity__environment__project=project).count() == 50


@pytest.mark.django_db
def test_create_benchmark_data__default_segments__use_every_operator_the_benchmark_names() -> None:
    _create("--features", "20", "--identities", "1")

    operators = set(Condition.objects.values_list("operator", flat=True))
    assert {"EQUAL", "GREATER_THAN", "CONTAINS", "REGEX", "IN", "PERCENTAGE_SPLIT", "IS_SET"} <= operators
    assert FeatureSegment.objects.count() == 20


@pytest.mark.django_db
def test_create_benchmark_data__printed_keys__serve_flags_identities_and_the_document(tmp_path: Path) -> None:
    identifiers = tmp_path / "identifiers.txt"
    output = _create(*SMALL, "--identifiers-file", str(identifiers))

    identifier = output["identifier_format"] % output["identity_count"]
    assert identifiers.read_text().splitlines()[-1] == identifier == "perf-user-0010"
    flags = sdk_client(output["client_key"]).get("/api/v1/flags/")
    assert flags.status_code == 200 and len(flags.json()) == 5
    identity = sdk_client(output["client_key"]).get("/api/v1/identities/", {"identifier": identifier})
    assert identity.status_code == 200
    assert {trait["trait_key"] for trait in identity.json()["traits"]} == {"plan", "age", "country", "email", "beta"}
    document = sdk_client(output["server_key"]).get("/api/v1/environment-document/")
    assert document.status_code == 200 and len(document.json()["feature_states"]) == 5


@pytest.mark.django_db
def test_create_benchmark_data__run_twice__refuses_unless_replace() -> None:
    first = _create(*SMALL)

    with pytest.raises(CommandError, match="already exists"):
        _create(*SMALL)
    second = _create(*SMALL, "--replace")

    assert second["client_key"] != first["client_key"]
    assert Organisation.objects.filter(name=ORGANISATION_NAME).count() == 1
    assert Identity.objects.count() == 10


@pytest.mark.django_db
def test_create_benchmark_data__more_overrides_than_pairs__refused_before_writing() -> None:
    with pytest.raises(CommandError, match="--overrides"):
        _create("--features", "1", "--segments", "1", "--overrides", "2", "--identities", "1")

    assert not Organisation.objects.exists()
