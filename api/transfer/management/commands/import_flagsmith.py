"""``manage.py import_flagsmith EXPORT.json [--owner EMAIL] [--environment-documents FILE | --source-url URL]``

Creates the organisation of a Flagsmith export (what Flagsmith's ``dumporganisationtos3``
writes) with everything it holds, in one transaction. SDKs keep their client and
server-side keys. With the source's environment documents (a file, or fetched from
the running Flagsmith with the export's server keys) every identity keeps its
percentage-split and multivariate bucket; without them the command lists the
features whose assignments will change. Importing the same export twice is refused.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from transfer.flagsmith_format import ENVIRONMENT, SERVER_KEY, ExportFile, ExportFileError, parse_export
from transfer.importer import import_organisation


def fetch_documents(export: ExportFile, source_url: str, timeout: float = 30) -> dict[str, Any]:
    """Each environment's ``/api/v1/environment-document/`` from the source, with a server key of the export."""
    documents: dict[str, Any] = {}
    for environment in export.of(ENVIRONMENT):
        api_key = environment.key[0]
        keys = [r.key[0] for r in export.of(SERVER_KEY) if r.fields.get("environment") == [api_key]]
        if not keys:
            raise CommandError(
                f"environment {api_key} has no server-side key in the export: its document cannot be fetched"
            )
        errors = []
        for key in keys:
            request = urllib.request.Request(
                source_url.rstrip("/") + "/api/v1/environment-document/", headers={"X-Environment-Key": key}
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    documents[api_key] = json.loads(response.read())
                break
            except (urllib.error.URLError, OSError, ValueError) as exc:
                errors.append(f"{key[:8]}…: {exc}")
        else:
            raise CommandError(f"could not fetch the environment document of {api_key}: {'; '.join(errors)}")
    return documents


class Command(BaseCommand):
    help = "Import an organisation from Flagsmith's export file (one transaction; refused if already imported)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("export", help="The JSON file Flagsmith's dumporganisationtos3 wrote.")
        parser.add_argument("--owner", help="Email of the user who becomes ADMIN of the organisation (created if new).")
        ids = parser.add_mutually_exclusive_group()
        ids.add_argument(
            "--environment-documents",
            help="JSON file: client key -> the source's /api/v1/environment-document/ (keeps every hash input).",
        )
        ids.add_argument(
            "--source-url",
            help="URL of the running Flagsmith: fetch the environment documents with the export's server keys.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            export = parse_export(Path(options["export"]).read_bytes())
        except OSError as exc:
            raise CommandError(f"cannot read {options['export']}: {exc}") from exc
        except ExportFileError as exc:
            raise CommandError(f"{options['export']}: {exc}. Nothing was imported.") from exc
        documents = None
        if options["environment_documents"]:
            try:
                documents = json.loads(Path(options["environment_documents"]).read_bytes())
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read {options['environment_documents']}: {exc}") from exc
            if not isinstance(documents, dict):
                raise CommandError(f"{options['environment_documents']}: must map client keys to documents")
        elif options["source_url"]:
            documents = fetch_documents(export, options["source_url"])
        try:
            result = import_organisation(export, documents=documents, owner_email=options["owner"])
        except ExportFileError as exc:
            raise CommandError(f"{options['export']}: {exc}. Nothing was imported.") from exc
        organisation = result.organisation
        self.stdout.write(f"Imported organisation {organisation.name!r} as id {organisation.pk}:")
        for label, count in result.counts.items():
            if count:
                self.stdout.write(f"  {label}: {count}")
        if result.owner is not None:
            how = "new user, no password yet: use the password reset" if result.owner_created else "existing user"
            self.stdout.write(f"  owner: {result.owner.email} is ADMIN ({how})")
        else:
            self.stdout.write("  no owner: give one with --owner EMAIL to manage it from the dashboard")
        for note in result.notes:
            self.stdout.write(f"  note: {note}")
        if result.changed_assignments:
            self.stderr.write(
                "WARNING: the source's ids were not given (--environment-documents or --source-url), so these "
                "features' percentage-split and multivariate results move to other buckets (unless this "
                "database happens to hand out the same ids):"
            )
            for environment, features in result.changed_assignments.items():
                self.stderr.write(f"  {environment}: {', '.join(features)}")
        else:
            self.stdout.write("Every identity keeps its percentage-split and multivariate assignment.")
