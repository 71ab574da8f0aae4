// The unified build's last step (`npm run bundledjango`): Vite has built dist/; its assets
// go into api/static/dashboard/ (STATIC_ROOT, served by whitenoise at /static/dashboard/)
// and its page becomes the Django template api/app/templates/webpack/index.html, which
// Django serves for every dashboard path. collectstatic adds Django's own files beside them.
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, "../dist");
const staticRoot = resolve(here, "../../api/static");
const template = resolve(here, "../../api/app/templates/webpack/index.html");

if (!existsSync(resolve(dist, "index.html"))) {
  console.error("dist/index.html is missing: run `npm run build` first.");
  process.exit(1);
}
// Old bundles would pile up otherwise; Django's own files (admin/, rest_framework/...) stay.
rmSync(resolve(staticRoot, "dashboard"), { recursive: true, force: true });
mkdirSync(staticRoot, { recursive: true });
cpSync(resolve(dist, "dashboard"), resolve(staticRoot, "dashboard"), { recursive: true });
mkdirSync(dirname(template), { recursive: true });
cpSync(resolve(dist, "index.html"), template);
console.log(`dashboard assets -> ${resolve(staticRoot, "dashboard")}\npage -> ${template}`);
