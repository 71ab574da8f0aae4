"""The dashboard's TypeScript types are generated from frontend/openapi.json: it must be this API's schema.

An API change therefore fails here first; `cd frontend && npm run schema` refreshes the
snapshot, and `npm run typecheck` then shows every place the dashboard must follow.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

SDK_PATHS = (
    "/api/v1/flags/",
    "/api/v1/identities/",
    "/api/v1/traits/",
    "/api/v1/environment-document/",
    "/api/v1/analytics/",
)
SNAPSHOT = Path(__file__).resolve().parents[2] / "frontend" / "openapi.json"


def _as_javascript_reads_it(text: str | bytes) -> dict:
    # The snapshot is written by Node, whose numbers are doubles (2**63 - 1 is rounded).
    return json.loads(text, parse_int=float)


def _current_admin_schema() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    schema = _as_javascript_reads_it(OpenApiJsonRenderer().render(schema))
    # As frontend/scripts/schema.mjs writes it: the admin API's paths only, no SDK routes.
    schema["paths"] = {
        path: item
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/") and not path.startswith(SDK_PATHS)
    }
    return schema


# Integer bounds in the schema come from the database backend (PositiveIntegerField is
# int64 on SQLite, int32 on PostgreSQL); `npm run schema` writes the snapshot with the
# embedded SQLite database, so the comparison runs there (the SQLite stage of bin/test).
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the snapshot is generated on SQLite")
def test_dashboard_schema_snapshot__matches_the_api() -> None:
    snapshot = _as_javascript_reads_it(SNAPSHOT.read_text(encoding="utf-8"))

    current = _current_admin_schema()

    changed = sorted(
        {
            path
            for path in snapshot["paths"].keys() | current["paths"].keys()
            if snapshot["paths"].get(path) != current["paths"].get(path)
        }
        | {
            f"#/components/schemas/{name}"
            for name in snapshot["components"]["schemas"].keys() | current["components"]["schemas"].keys()
            if snapshot["components"]["schemas"].get(name) != current["components"]["schemas"].get(name)
        }
    )
    assert changed == [], (
        "The admin API changed since frontend/openapi.json was written; run `cd frontend && npm run schema` "
        f"and then `npm run typecheck`. Changed: {', '.join(changed[:20])}"
    )
    assert snapshot == current
