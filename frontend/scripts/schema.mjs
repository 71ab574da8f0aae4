// Refreshes openapi.json, the admin API schema the dashboard's types are generated from
// (`npm run gen:api`), from the Django project next door: run it after changing the API,
// then `npm run typecheck` shows every place the dashboard must follow. The API test
// suite fails while this snapshot differs from the API (api/tests/test_dashboard_schema.py).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const apiDir = resolve(here, "../../api");
const venvPython = resolve(here, "../../.venv/bin/python");
const python = process.env.PYTHON ?? (existsSync(venvPython) ? venvPython : "python3");
const out = join(mkdtempSync(join(tmpdir(), "banderole-schema-")), "schema.json");

execFileSync(python, ["manage.py", "spectacular", "--format", "openapi-json", "--file", out], {
  cwd: apiDir,
  stdio: ["ignore", "ignore", "inherit"],
});
const schema = JSON.parse(readFileSync(out, "utf8"));
// The dashboard speaks the admin API only: the SDK routes (Flagsmith's, Unleash's, OFREP)
// are not its concern, and leaving them out keeps their changes from touching the snapshot.
const sdkPaths = ["/api/v1/flags/", "/api/v1/identities/", "/api/v1/traits/", "/api/v1/environment-document/", "/api/v1/analytics/"];
schema.paths = Object.fromEntries(
  Object.entries(schema.paths).filter(
    ([path]) => path.startsWith("/api/v1/") && !sdkPaths.some((prefix) => path.startsWith(prefix)),
  ),
);
writeFileSync(resolve(here, "../openapi.json"), JSON.stringify(schema, null, 2) + "\n");
console.log(`openapi.json: ${Object.keys(schema.paths).length} paths`);
