"""Create the benchmark's standard data set (issue 4): the SDK load an installation really sees.

One organisation, project and environment with a server-side key; 50 features, 5 of
them multivariate; 20 segments of 2-5 conditions over the identities' traits; 20
segment overrides; 1,000 identities with 5 traits each (plan, age, country, email,
beta), named ``perf-user-0001``… as in Flagsmith's own load test. Everything goes
through the services the admin API uses, so the benchmark measures the data a
dashboard would have written. Deterministic for a given ``--seed``.

The last line on stdout is JSON with the keys and how to name an existing identity,
for ``bench/run.py``; progress goes to stderr.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from environments.models import Environment
from environments.services import create_server_key
from features import services as feature_services
from features.models import Feature
from features.services import create_feature_states_for_environment
from identities import services as identity_services
from identities.models import Identity, Trait
from organisations.models import Organisation
from organisations.services import create_organisation
from projects.models import Project
from segments import services as segment_services
from segments.models import Segment
from users.models import User

ORGANISATION_NAME = "Banderole benchmark"
BENCHMARK_USER_EMAIL = "benchmark@banderole.local"

PLANS = ("free", "pro", "enterprise", "team")
COUNTRIES = ("US", "GB", "DE", "FR", "CA", "ES", "IN", "BR", "JP", "AU")
EMAIL_DOMAINS = ("gmail.com", "example.com", "corp.test", "yahoo.com")

# Each segment takes its conditions from this cycle, starting at a different place,
# so the 20 segments between them use every operator the issue names several times.
CONDITION_POOL: tuple[tuple[str, str, str | None], ...] = (
    ("EQUAL", "plan", "pro"),
    ("GREATER_THAN", "age", "30"),
    ("CONTAINS", "email", "@example.com"),
    ("REGEX", "email", r"^user[0-9]*[05]@"),
    ("IN", "country", "US,CA,GB"),
    ("PERCENTAGE_SPLIT", "", "50"),
    ("IS_SET", "beta", None),
    ("EQUAL", "beta", "true"),
    ("GREATER_THAN", "age", "55"),
    ("IN", "plan", "enterprise,team"),
    ("CONTAINS", "email", "corp"),
    ("PERCENTAGE_SPLIT", "", "25"),
)


def identifier_format(count: int) -> str:
    """printf-style name of the n-th identity (1-based), the same in Python and Lua."""
    return f"perf-user-%0{max(4, len(str(count)))}d"


class Command(BaseCommand):
    help = "Create the benchmark's standard data set (features, segments, overrides, identities) and print its keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--features", type=int, default=50)
        parser.add_argument(
            "--multivariate", type=int, help="How many of the features are multivariate (default 5, or all if fewer)."
        )
        parser.add_argument("--segments", type=int, default=20)
        parser.add_argument("--overrides", type=int, default=20, help="Segment overrides.")
        parser.add_argument("--identities", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=4)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete an existing benchmark organisation first instead of refusing.",
        )
        parser.add_argument("--identifiers-file", type=Path, help="Also write every identifier there, one a line.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        features = options["features"]
        multivariate = min(5, features) if options["multivariate"] is None else options["multivariate"]
        segments, overrides = options["segments"], options["overrides"]
        identities = options["identities"]
        if min(features, segments, identities) < 1 or min(multivariate, overrides) < 0:
            raise CommandError("--features, --segments and --identities must be at least 1; the others at least 0.")
        if multivariate > features:
            raise CommandError("--multivariate cannot exceed --features.")
        if overrides > features * segments:
            raise CommandError("--overrides cannot exceed --features x --segments (one per pair).")

        rng = random.Random(options["seed"])
        # One transaction: a failure part-way leaves nothing behind to refuse next time,
        # and a --replace that fails keeps the old data set.
        with transaction.atomic():
            existing = Organisation.objects.filter(name=ORGANISATION_NAME)
            if existing.exists():
                if not options["replace"]:
                    # Server keys are stored hashed, so an existing data set cannot hand its key back.
                    raise CommandError(
                        f'An organisation "{ORGANISATION_NAME}" already exists; pass --replace to rebuild it.'
                    )
                existing.delete()
            user = self._user()
            organisation = create_organisation(user=user, name=ORGANISATION_NAME)
            project = Project.objects.create(name="Benchmark", organisation=organisation, prevent_flag_defaults=False)
            environment = Environment.objects.create(project=project, name="Production")
            create_feature_states_for_environment(environment)
            server_key = create_server_key(environment=environment, name="benchmark")
            self._progress(f"environment {environment.api_key}")

            feature_objects = self._features(project, user, rng, features, multivariate)
            segment_objects = self._segments(project, user, segments)
            self._overrides(environment, user, feature_objects, segment_objects, overrides)
            fmt = identifier_format(identities)
            self._identities(environment, user, rng, identities, fmt)

        identifiers_file = options["identifiers_file"]
        if identifiers_file is not None:
            identifiers_file.write_text("".join(f"{fmt % n}\n" for n in range(1, identities + 1)))
        self.stdout.write(
            json.dumps(
                {
                    "client_key": environment.api_key,
                    "server_key": server_key.plain_key,
                    "environment_id": environment.pk,
                    "identifier_format": fmt,
                    "identity_count": identities,
                    "identifiers_file": str(identifiers_file) if identifiers_file else None,
                }
            )
        )

    def _progress(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stderr.write(f"create_benchmark_data: {message}")

    def _user(self) -> User:
        user = User.objects.filter(email=BENCHMARK_USER_EMAIL).first()
        # No usable password: the data set is for SDK keys, not for signing in.
        return user or User.objects.create_user(email=BENCHMARK_USER_EMAIL, password=None)

    def _features(
        self, project: Project, user: User, rng: random.Random, count: int, multivariate: int
    ) -> list[Feature]:
        created = []
        for index in range(count):
            name = f"bench_feature_{index + 1:02d}"
            if index < multivariate:
                option_count = 2 + index % 2
                data: dict[str, Any] = {
                    "name": name,
                    "default_enabled": True,
                    "initial_value": "control",
                    "multivariate_options": [
                        {
                            "type": "unicode",
                            "string_value": f"variant_{letter}",
                            "default_percentage_allocation": 30 if option_count == 2 else 25,
                            "key": f"variant_{letter}",
                        }
                        for letter in "abc"[:option_count]
                    ],
                }
            else:
                # A mix of flags, strings, integers and booleans, as real projects have.
                kind = index % 4
                initial_value = (None, f"value-{index}", str(rng.randint(1, 1000)), "true")[kind]
                data = {"name": name, "default_enabled": rng.random() < 0.6, "initial_value": initial_value}
            data["description"] = f"Benchmark feature {index + 1}"
            created.append(feature_services.create_feature(project, data, user))
        self._progress(f"{count} features ({multivariate} multivariate)")
        return created

    def _segments(self, project: Project, user: User, count: int) -> list[Segment]:
        created = []
        pool = len(CONDITION_POOL)
        for index in range(count):
            size = 2 + index % 4  # 2 to 5 conditions
            picked = [CONDITION_POOL[(index * 3 + offset) % pool] for offset in range(size)]
            conditions = [{"operator": op, "property": prop, "value": value} for op, prop, value in picked]
            # Dashboards write one ALL rule; from three conditions on, the last two go into
            # a nested ANY rule so the engine walks a tree, not a flat list.
            if size >= 3:
                rules = [
                    {
                        "type": "ALL",
                        "conditions": conditions[:-2],
                        "rules": [{"type": "ANY", "conditions": conditions[-2:], "rules": []}],
                    }
                ]
            else:
                rules = [{"type": "ALL", "conditions": conditions, "rules": []}]
            created.append(
                segment_services.create_segment(
                    project, {"name": f"bench_segment_{index + 1:02d}", "rules": rules}, user
                )
            )
        self._progress(f"{count} segments")
        return created

    def _overrides(
        self, environment: Environment, user: User, features: list[Feature], segments: list[Segment], count: int
    ) -> None:
        for index in range(count):
            # One override per segment first; past that, each round moves one feature on,
            # so every (feature, segment) pair is used at most once.
            segment = segments[index % len(segments)]
            feature = features[(index % len(segments) + index // len(segments)) % len(features)]
            feature_services.create_segment_override(
                feature=feature,
                segment=segment,
                environment=environment,
                user=user,
                state={"enabled": index % 3 != 0, "feature_state_value": f"segment-{index + 1}"},
            )
        self._progress(f"{count} segment overrides")

    def _identities(self, environment: Environment, user: User, rng: random.Random, count: int, fmt: str) -> None:
        traits = []
        for number in range(1, count + 1):
            identity: Identity = identity_services.create_identity(environment, {"identifier": fmt % number}, user)
            values = {
                "plan": rng.choice(PLANS),
                "age": rng.randint(18, 80),
                "country": rng.choice(COUNTRIES),
                "email": f"user{number}@{rng.choice(EMAIL_DOMAINS)}",
                "beta": rng.random() < 0.3,
            }
            for key, value in values.items():
                trait = Trait(identity=identity, trait_key=key)
                trait.set_value(value)
                traits.append(trait)
        # Traits in bulk: save_trait would add a savepoint per row (5,000 of them) for a
        # uniqueness race that cannot happen on identities created a moment ago.
        Trait.objects.bulk_create(traits, batch_size=1000)
        self._progress(f"{count} identities with 5 traits each")
