"""``manage.py export_flagsmith ORG_ID FILE [--server-keys KEYS.json] [--without-ids]``

Writes an organisation in Flagsmith's export format, which Flagsmith's own import
(``loaddata``) and ``import_flagsmith`` read back. Segments, feature states and
multivariate weights carry their ``pk`` (identities hash on them) unless
``--without-ids``: Flagsmith's loaddata overwrites a row with a given pk, so import
such a file only where those ids are free. Server-side keys are stored here only as
hashes: give them (a file in the format of the fixtures' ``keys.json``, or a JSON
list of keys) to have them written in clear; the others are left out and listed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from organisations.models import Organisation
from transfer.exporter import export_organisation


def read_server_keys(path: str) -> list[str]:
    """Keys from a JSON list of strings, or anything with ``"key": "ser.…"`` entries (keys.json)."""
    try:
        data = json.loads(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str) and node.startswith("ser."):
            found.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)

    walk(data)
    return found


class Command(BaseCommand):
    help = "Export an organisation in Flagsmith's export format (for Flagsmith's import or import_flagsmith)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", type=int, help="The organisation's id.")
        parser.add_argument("file", help="Where to write the JSON ('-' for standard output).")
        parser.add_argument("--server-keys", help="JSON with the server-side keys to write in clear (keys.json).")
        parser.add_argument(
            "--without-ids",
            action="store_true",
            help="Leave out the pks of segments, feature states and multivariate weights, as Flagsmith's export does "
            "(for a Flagsmith that already holds other data: its loaddata overwrites rows with a given pk; "
            "percentage splits and variants then change).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(pk=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with id {options['organisation']}.")
        keys = read_server_keys(options["server_keys"]) if options["server_keys"] else []
        result = export_organisation(organisation, keys, with_ids=not options["without_ids"])
        text = json.dumps(result.objects, ensure_ascii=False)
        if options["file"] == "-":
            self.stdout.write(text)
        else:
            Path(options["file"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {len(result.objects)} objects of {organisation.name!r} to {options['file']}.")
        if result.missing_server_keys:
            self.stderr.write(
                "WARNING: server-side keys left out (only their hashes are stored; give them with --server-keys), "
                "create new ones after the import: " + "; ".join(result.missing_server_keys)
            )
