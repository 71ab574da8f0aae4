// Issue 19's screens in a real browser against a real server: feature edit, archive, tags and
// filters; the environment matrix and diff; a protected-environment confirmation and an undo;
// settings round trips; a webhook with a test send to a receiver on 127.0.0.1; the analytics
// chart with data; the audit log in words; the not-found page. Screenshots at 1280 px and phone width.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";

const shots = process.env.SCREENSHOT_DIR ?? resolve(import.meta.dirname, "../e2e-artifacts");
mkdirSync(shots, { recursive: true });

async function shot(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: resolve(shots, `${name}.png`), fullPage: true });
  console.log(`screenshot: ${resolve(shots, `${name}.png`)}`);
}

/** The same page at 1280 px (already) and at phone width. */
async function shotBoth(page: Page, name: string) {
  await shot(page, `${name}`);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await shot(page, `${name}-phone`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(200);
}

async function api(request: APIRequestContext, token: string, method: "get" | "post" | "patch", path: string, data?: unknown) {
  const response = await request[method](`/api/v1/${path}`, { headers: { Authorization: `Token ${token}` }, data });
  expect(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`).toBe(true);
  return response.json();
}

let receiver: Server;
const received: { path: string; signature?: string }[] = [];

test.beforeAll(async () => {
  receiver = createServer((req, res) => {
    received.push({ path: req.url ?? "", signature: req.headers["x-flagsmith-signature"] as string | undefined });
    req.resume();
    res.writeHead(202, { "Content-Type": "text/plain" }).end("ok");
  });
  await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", done));
});
test.afterAll(() => new Promise<void>((done) => receiver.close(() => done())));

test("an admin runs the daily tasks of issue 19 from the dashboard", async ({ page, request }) => {
  // --- set up through the API: a user, an organisation, a project, two environments, features
  const email = `admin-${Date.now()}@example.com`;
  const password = "correct-horse-battery-staple";
  const signup = await request.post("/api/v1/auth/users/", { data: { email, password, first_name: "Ada", last_name: "Admin" } });
  expect(signup.ok(), await signup.text()).toBe(true);
  const token = (await (await request.post("/api/v1/auth/login/", { data: { email, password } })).json()).key as string;
  const organisation = await api(request, token, "post", "organisations/", { name: "Acme" });
  const project = await api(request, token, "post", "projects/", { name: "Shop", organisation: organisation.id });
  const development = await api(request, token, "post", "environments/", { name: "Development", project: project.id });
  const production = await api(request, token, "post", "environments/", { name: "Production", project: project.id });
  for (const name of ["checkout_v2", "dark_mode", "search_beta"]) {
    await api(request, token, "post", `projects/${project.id}/features/`, { name, initial_value: name === "dark_mode" ? "night" : null });
  }
  await page.goto("/login");
  await page.evaluate((key) => window.localStorage.setItem("banderole.token", key), token);
  const features = `/projects/${project.id}/environments/${development.api_key}/features`;

  // --- the not-found page ---------------------------------------------------------------
  await page.goto("/no/such/page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await shot(page, "30-not-found");
  await page.getByRole("link", { name: "Go to the dashboard home" }).click();
  await expect(page.getByRole("heading", { name: "Page not found" })).toHaveCount(0);

  // --- tags: create two, one of them recoloured ------------------------------------------
  await page.goto(features);
  await expect(page.getByTestId("feature-row-dark_mode")).toBeVisible();
  await page.getByRole("button", { name: "Tags", exact: true }).click();
  const tagsDialog = page.getByRole("dialog", { name: "Tags of this project" });
  for (const label of ["ui", "release-2"]) {
    await tagsDialog.getByLabel("New tag", { exact: true }).fill(label);
    await tagsDialog.getByRole("button", { name: "Create tag" }).click();
    await expect(tagsDialog.getByTestId(`tag-${label}`)).toBeVisible();
  }
  await tagsDialog.getByRole("button", { name: "Edit tag ui" }).click();
  await tagsDialog.getByLabel("Colour of ui").fill("#e03131");
  await tagsDialog.getByRole("button", { name: "Save tag" }).click();
  await expect(tagsDialog.getByTestId("tag-ui")).toHaveCSS("background-color", "rgb(224, 49, 49)");
  await shot(page, "31-tags");
  await page.keyboard.press("Escape");

  // --- edit a feature: rename, describe, tag, owner; archive another ------------------------
  await page.getByRole("link", { name: "dark_mode" }).click();
  await page.getByLabel("Feature name").fill("dark_theme");
  await page.getByLabel("Description", { exact: true }).last().fill("The dark colour scheme");
  await page.getByLabel("Server-side keys only").check();
  await page.getByRole("textbox", { name: "Tags", exact: true }).click();
  await page.getByRole("option", { name: "ui" }).click();
  await page.getByRole("option", { name: "release-2" }).click();
  await page.keyboard.press("Escape");
  // The creator is the first owner; take them off (and, below, put them back).
  const owners = page.getByRole("textbox", { name: "Owners", exact: true });
  const settings = page.locator("form").filter({ has: page.getByRole("button", { name: "Save settings" }) });
  await expect(settings.getByText(email, { exact: true })).toBeVisible();
  await owners.click();
  await page.getByRole("option", { name: email }).click();
  await page.keyboard.press("Escape");
  await expect(settings.getByText(email, { exact: true })).toHaveCount(0);
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "dark_theme" })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Feature name")).toHaveValue("dark_theme");
  await expect(page.getByLabel("Server-side keys only")).toBeChecked();
  await expect(settings.getByText(email, { exact: true })).toHaveCount(0);
  await owners.click();
  await page.getByRole("option", { name: email }).click();
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved" })).toBeVisible();
  await page.reload();
  await expect(settings.getByText(email, { exact: true })).toBeVisible();

  // --- analytics with data: SDK-reported evaluations, then the chart ---------------------
  const reported = await request.post("/api/v1/analytics/flags/", { headers: { "X-Environment-Key": development.api_key }, data: { dark_theme: 12 } });
  expect(reported.ok(), await reported.text()).toBe(true);
  await page.reload();
  await expect(page.getByText(/^12 evaluations in 7 days/)).toBeVisible();
  await expect(page.getByTestId("evaluation-bar")).toHaveCount(7);
  await page.getByText("30 days").click();
  await expect(page.getByTestId("evaluation-bar")).toHaveCount(30);
  await expect(page.getByTestId("unleash-translation")).toHaveText("exact");
  await shotBoth(page, "32-feature-settings-analytics");

  await page.getByRole("link", { name: "← All features" }).click();
  await page.getByRole("link", { name: "search_beta" }).click();
  await page.getByRole("button", { name: "Archive" }).click();
  await expect(page.getByText(/^Archived: hidden from the features list/)).toBeVisible();

  // --- filters: archived hidden by default; tag any/all; state; value; all in the address --
  await page.getByRole("link", { name: "← All features" }).click();
  await expect(page.getByTestId("feature-row-search_beta")).toHaveCount(0);
  await page.getByRole("textbox", { name: "Archived" }).click();
  await page.getByRole("option", { name: "Include archived" }).click();
  await expect(page.getByTestId("feature-row-search_beta")).toBeVisible();
  await expect(page.getByTestId("feature-row-search_beta").getByText("archived")).toBeVisible();
  await page.getByRole("textbox", { name: "Tags", exact: true }).click();
  await page.getByRole("option", { name: "ui" }).click();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("feature-row-dark_theme")).toBeVisible();
  await expect(page.getByTestId("feature-row-checkout_v2")).toHaveCount(0);
  await page.getByText("all", { exact: true }).click();
  await expect(page).toHaveURL(/tags=\d+.*tag_strategy=all.*archived=show/);
  await page.getByLabel("Search values").fill("nig");
  await expect(page).toHaveURL(/value=nig/);
  const shared = page.url();
  await page.goto(shared);
  await expect(page.getByTestId("feature-row-dark_theme")).toBeVisible();
  await expect(page.getByTestId("feature-row-checkout_v2")).toHaveCount(0);
  await expect(page.getByLabel("Search values")).toHaveValue("nig");
  await shotBoth(page, "33-features-filtered");
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(page.getByTestId("feature-row-checkout_v2")).toBeVisible();

  // --- undo after an unprotected toggle -------------------------------------------------------
  const checkout = page.getByRole("switch", { name: "checkout_v2 enabled" });
  await checkout.click({ force: true });
  await expect(checkout).toBeChecked();
  await expect(page.getByText("checkout_v2 turned on in Development.")).toBeVisible();
  await page.getByRole("button", { name: "Undo" }).click();
  await expect(checkout).not.toBeChecked();
  await page.reload();
  await expect(page.getByRole("switch", { name: "checkout_v2 enabled" })).not.toBeChecked();

  // --- settings: project (with the name pattern's live check), environment (protected) --------
  await page.getByRole("link", { name: "Environments & project" }).click();
  await expect(page.getByText("Suggested for a production environment.")).toHaveCount(0);
  await page.getByLabel("New environment").fill("EU Production");
  await expect(page.getByText("Suggested for a production environment.")).toBeVisible();
  await expect(page.getByLabel("Protected: confirm every flag change here")).toBeChecked();
  await page.getByLabel("New environment").fill("");
  await page.getByLabel("Feature name pattern").fill("[a-z_0-9]+");
  await page.getByLabel("Try a name").fill("Bad-Name");
  await expect(page.getByTestId("regex-check")).toHaveText(/does not match/);
  await page.getByLabel("Try a name").fill("good_name");
  await expect(page.getByTestId("regex-check")).toHaveText(/matches/);
  await page.getByLabel("Stale flags after (days)").fill("45");
  await page.getByRole("button", { name: "Save project settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved" })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Feature name pattern")).toHaveValue("[a-z_0-9]+");
  await expect(page.getByLabel("Stale flags after (days)")).toHaveValue("45");
  await shotBoth(page, "34-project-settings");

  await page.goto(`/projects/${project.id}/environments/${production.api_key}/settings`);
  await page.getByLabel("Banner text").fill("Live traffic");
  await page.getByLabel("Use identity overrides in local evaluation").uncheck();
  await page.getByRole("switch", { name: "Protected" }).check({ force: true });
  await page.getByRole("button", { name: "Save environment settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved" })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Banner text")).toHaveValue("Live traffic");
  await expect(page.getByTestId("environment-banner")).toHaveText("Production: Live traffic");
  await expect(page.getByLabel("Use identity overrides in local evaluation")).not.toBeChecked();
  await expect(page.getByText("protected", { exact: true }).first()).toBeVisible();

  // --- a webhook with a test send to the local receiver --------------------------------------
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/flags`;
  await page.getByLabel("New webhook URL").fill(hookUrl);
  await page.getByRole("button", { name: "Add webhook" }).click();
  await expect(page.getByText("Webhook created: copy its secret now")).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Signing secret" })).toHaveValue(/^[0-9a-f]{32}$/);
  await page.getByRole("button", { name: `Send a test to ${hookUrl}` }).click();
  await expect(page.getByTestId("webhook-test-result")).toContainText("202");
  expect(received.some((item) => item.path === "/flags")).toBe(true); // the listing keeps the secret write-only, so the test send is unsigned
  await shotBoth(page, "35-environment-settings-webhooks");

  // --- a protected environment asks first ---------------------------------------------------
  await page.goto(`/projects/${project.id}/environments/${production.api_key}/features`);
  await page.getByRole("switch", { name: "checkout_v2 enabled" }).click({ force: true });
  const ask = page.getByRole("dialog", { name: "Change Production?" });
  await expect(ask).toContainText("Turn checkout_v2 on in Production?");
  await shot(page, "36-protected-confirmation");
  await ask.getByRole("button", { name: "Cancel" }).click();
  await expect(ask).toHaveCount(0);
  await expect(page.getByRole("switch", { name: "checkout_v2 enabled" })).not.toBeChecked();
  // Right after the dialog closes, a click may still land on its fading overlay: try again then.
  await expect(async () => {
    await page.getByRole("switch", { name: "checkout_v2 enabled" }).click({ force: true });
    await expect(ask).toBeVisible({ timeout: 2000 });
  }).toPass({ timeout: 20_000 });
  await ask.getByRole("button", { name: "Turn checkout_v2 on" }).click();
  await expect(page.getByRole("switch", { name: "checkout_v2 enabled" })).toBeChecked();
  await expect(page.getByRole("button", { name: "Undo" })).toHaveCount(0);

  // The change went to the webhook: its recent deliveries say so.
  await page.goto(`/projects/${project.id}/environments/${production.api_key}/settings`);
  await expect(async () => {
    await page.reload();
    await page.getByRole("button", { name: "Recent deliveries" }).click();
    await expect(page.getByTestId("webhook-deliveries")).toContainText("delivered", { timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId("webhook-deliveries")).toContainText("FLAG_UPDATED");
  expect(received.some((item) => item.path === "/flags" && item.signature)).toBe(true);
  await shotBoth(page, "36b-webhook-deliveries");

  // --- compare environments: the matrix, toggled in place, and the diff -----------------------
  await page.getByRole("link", { name: "Compare environments" }).first().click();
  await expect(page.getByTestId("compare-matrix")).toBeVisible();
  await expect(page.getByRole("switch", { name: "checkout_v2 in Production" })).toBeChecked();
  await expect(page.getByRole("switch", { name: "checkout_v2 in Development" })).not.toBeChecked();
  await page.getByRole("switch", { name: "dark_theme in Development" }).click({ force: true });
  await expect(page.getByRole("switch", { name: "dark_theme in Development" })).toBeChecked();
  await shotBoth(page, "37-compare-matrix");
  await page.getByText("Differences of two").click();
  await expect(page.getByTestId("diff-checkout_v2")).toBeVisible();
  await expect(page.getByTestId("diff-dark_theme")).toBeVisible();
  await shotBoth(page, "38-compare-diff");

  // --- organisation settings and webhook ---------------------------------------------------------
  await page.goto(`/organisations/${organisation.id}/settings`);
  await page.getByLabel("Only admins may create projects").check();
  await page.getByRole("button", { name: "Save organisation settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved" })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Only admins may create projects")).toBeChecked();
  await page.getByLabel("New webhook URL").fill(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/audit`);
  await page.getByLabel("Sign the bodies with a new secret").uncheck();
  await page.getByRole("button", { name: "Add webhook" }).click();
  await expect(page.getByText("unsigned")).toBeVisible();
  await page.getByRole("button", { name: /^Send a test to/ }).click();
  await expect(page.getByTestId("webhook-test-result")).toContainText("202");
  await shotBoth(page, "39-organisation-settings");

  // --- the audit log in words -------------------------------------------------------------------
  await page.goto(`/projects/${project.id}/audit`);
  await expect(page.getByRole("cell", { name: "checkout_v2", exact: true }).first()).toBeVisible();
  await shotBoth(page, "40-audit-log-words");
});
