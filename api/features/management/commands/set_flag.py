"""``manage.py set_flag <environment key> <feature> [--enable|--disable] [--value V] [--as EMAIL]``

Changes an environment's flag from a script or a runbook, through the same service as
the API: the SDK document gets a new version and the audit log records the change
(source COMMAND; author the ``--as`` user, else a system event).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from features.models import FeatureState
from features.services import update_feature_state
from users.models import User


class Command(BaseCommand):
    help = "Enable, disable or set the value of a feature in one environment (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("environment", help="The environment's client key.")
        parser.add_argument("feature", help="The feature's name.")
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--enable", action="store_true")
        state.add_argument("--disable", action="store_true")
        parser.add_argument("--value", help='The new value: JSON (42, true, "text") or plain text.')
        parser.add_argument("--as", dest="author", help="Email of the user the audit log names as author.")

    def handle(self, *args: Any, **options: Any) -> None:
        feature_state = (
            FeatureState.objects.filter(
                environment__api_key=options["environment"],
                feature__name=options["feature"],
                feature_segment__isnull=True,
                identity__isnull=True,
            )
            .select_related("feature", "environment")
            .first()
        )
        if feature_state is None:
            raise CommandError(f"No feature {options['feature']!r} in environment {options['environment']!r}.")
        author = None
        if options["author"]:
            author = User.objects.filter(email__iexact=options["author"]).first()
            if author is None:
                raise CommandError(f"No user with the email {options['author']!r}.")
        data: dict[str, Any] = {}
        if options["enable"] or options["disable"]:
            data["enabled"] = bool(options["enable"])
        if options["value"] is not None:
            try:
                value = json.loads(options["value"])
            except json.JSONDecodeError:
                value = options["value"]
            if not isinstance(value, bool | int | str):
                raise CommandError("--value must be a string, an integer or a boolean.")
            data["feature_state_value"] = value
        if not data:
            raise CommandError("Nothing to change: give --enable, --disable or --value.")
        try:
            update_feature_state(feature_state, data, author)
        except ValidationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{feature_state.feature.name} in {feature_state.environment.name}: updated.")
