// `make serve`'s dashboard step: rebuild (`npm run bundledjango`) only when the dashboard's
// sources changed since the build Django serves. The stamp is a SHA-256 over every source
// file's path and bytes, kept beside the built page; a missing build or stamp rebuilds.
// `node scripts/build-if-changed.mjs --force` always rebuilds.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const template = resolve(frontend, "../api/app/templates/webpack/index.html");
const assets = resolve(frontend, "../api/static/dashboard");
const stampFile = resolve(frontend, "../api/app/templates/webpack/.build-stamp");

// What the build reads. src/api/schema.d.ts is generated from openapi.json, so it is left out.
const SOURCES = [
  "src",
  "scripts",
  "public",
  "index.html",
  "openapi.json",
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "vite.config.ts",
];
const GENERATED = new Set(["src/api/schema.d.ts"]);

function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

export function sourcesStamp() {
  const hash = createHash("sha256");
  for (const file of SOURCES.flatMap((source) => files(resolve(frontend, source)))) {
    const name = relative(frontend, file).split("\\").join("/");
    if (GENERATED.has(name)) continue;
    hash.update(`${name}\0`);
    hash.update(readFileSync(file));
    hash.update("\0");
  }
  return hash.digest("hex");
}

const stamp = sourcesStamp();
const built = existsSync(template) && existsSync(assets) && existsSync(stampFile);
if (!process.argv.includes("--force") && built && readFileSync(stampFile, "utf8").trim() === stamp) {
  console.log("dashboard: sources unchanged since the last build, not rebuilt (--force rebuilds)");
} else {
  execFileSync("npm", ["run", "--silent", "bundledjango"], { cwd: frontend, stdio: "inherit" });
  writeFileSync(stampFile, `${stamp}\n`);
}
