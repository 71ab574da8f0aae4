// The whole journey of issue 7 in a real browser against a real server: sign up, set up,
// flags, segments, overrides, identities, SDK keys, members, groups and permissions, API keys,
// the audit log; screenshots of each main page.
import { expect, test, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";

const shots = process.env.SCREENSHOT_DIR ?? resolve(import.meta.dirname, "../e2e-artifacts");
mkdirSync(shots, { recursive: true });

async function shot(page: Page, name: string, fullPage = true) {
  const path = resolve(shots, `${name}.png`);
  // The header is fixed: from the top, a full-page shot shows it once, where it is.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage });
  console.log(`screenshot: ${path}`);
}

async function choose(page: Page, label: string, option: string) {
  await page.getByRole("textbox", { name: label, exact: true }).click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

const email = `owner-${Date.now()}@example.com`;
const password = "correct-horse-battery-staple";

test("a new user runs releases from the dashboard", async ({ page, request }) => {
  // --- sign up, organisation, project, environments --------------------------------
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await shot(page, "01-login");
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("First name").fill("Olive");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  // The API's words beside the field that caused them.
  await expect(page.getByText(/password is too short/i)).toBeVisible();
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page.getByRole("heading", { name: "Welcome to Banderole" })).toBeVisible();
  await page.getByLabel("Organisation name").fill("Acme");
  await page.getByRole("button", { name: "Create organisation" }).click();
  await expect(page.getByText("No project yet")).toBeVisible();
  await page.getByLabel("Project name").fill("Web shop");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByText("No environment yet")).toBeVisible();
  for (const name of ["Development", "Production"]) {
    await page.getByLabel("New environment").fill(name);
    await page.getByRole("button", { name: "Create environment" }).click();
    await expect(page.getByRole("link", { name, exact: true })).toBeVisible();
  }
  await expect(page.getByRole("button", { name: "Create environment" })).toBeEnabled();
  await shot(page, "02-environments");

  // --- features: create, toggle (and reload), multivariate ----------------------------
  await page.getByRole("link", { name: "Development", exact: true }).click();
  await expect(page.getByText("No features yet")).toBeVisible();
  await shot(page, "03-features-empty");
  await page.getByRole("button", { name: "Create your first feature" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a feature" });
  await dialog.getByLabel("Name", { exact: false }).first().fill("new_checkout");
  await dialog.getByLabel("Value", { exact: true }).fill("blue");
  await dialog.getByRole("button", { name: "Create feature" }).click();
  await expect(page.getByRole("heading", { name: "new_checkout" })).toBeVisible();
  await expect(page.getByLabel("Value in Development", { exact: true })).toHaveValue("blue");

  await page.getByRole("link", { name: "← All features" }).click();
  await page.getByRole("button", { name: "Create feature" }).click();
  await dialog.getByLabel("Name", { exact: false }).first().fill("button_colour");
  await dialog.getByText("Multivariate (variants by %)").click();
  await dialog.getByLabel("Control value", { exact: true }).fill("grey");
  await dialog.getByLabel("Variant 1 value", { exact: true }).fill("red");
  await dialog.getByLabel("Default %").first().fill("30");
  await dialog.getByRole("button", { name: "Add variant" }).click();
  await dialog.getByLabel("Variant 2 value", { exact: true }).fill("green");
  await dialog.getByLabel("Default %").nth(1).fill("20");
  await dialog.getByRole("button", { name: "Create feature" }).click();
  await expect(page.getByRole("heading", { name: "button_colour" })).toBeVisible();
  await page.getByLabel("Allocation of variant 1 in Development").fill("45");
  await page.getByRole("button", { name: "Save in Development" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await page.getByLabel("Allocation of variant 2 in Development").fill("70");
  await page.getByRole("button", { name: "Save in Development" }).click();
  await expect(page.getByText(/over 100%/).first()).toBeVisible();
  await page.getByLabel("Allocation of variant 2 in Development").fill("20");
  await page.getByRole("button", { name: "Save in Development" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await shot(page, "04-feature-multivariate");

  await page.getByRole("link", { name: "← All features" }).click();
  const toggle = page.getByRole("switch", { name: "new_checkout enabled" });
  await expect(toggle).not.toBeChecked();
  const saved = page.waitForResponse((response) => response.url().includes("/featurestates/") && response.request().method() === "PATCH");
  await toggle.click({ force: true });
  await expect(toggle).toBeChecked();
  expect((await saved).status()).toBe(200);
  await page.reload();
  await expect(page.getByRole("switch", { name: "new_checkout enabled" })).toBeChecked();

  // A refused change rolls back and says why.
  await page.route("**/featurestates/*/", (route) =>
    route.request().method() === "PATCH"
      ? route.fulfill({ status: 403, contentType: "application/json", body: JSON.stringify({ detail: "You do not have permission to perform this action." }) })
      : route.continue(),
  );
  await page.getByRole("switch", { name: "button_colour enabled" }).click({ force: true });
  await expect(page.getByText("Not changed: You do not have permission to perform this action.")).toBeVisible();
  await expect(page.getByRole("switch", { name: "button_colour enabled" })).not.toBeChecked();
  await page.unroute("**/featurestates/*/");
  await page.getByLabel("Search features").fill("check");
  await expect(page.getByTestId("feature-row-new_checkout")).toBeVisible();
  await expect(page.getByTestId("feature-row-button_colour")).toHaveCount(0);
  await shot(page, "05-features");

  // --- segments: nested rules, every operator offered, the API's messages beside fields --
  await page.getByRole("link", { name: "Segments" }).click();
  await expect(page.getByText("No segments yet")).toBeVisible();
  await page.getByRole("link", { name: "Create segment" }).first().click();
  await page.getByLabel("Name", { exact: false }).first().fill("pro users");
  await page.getByLabel("Rule 1 group 1 condition 1 trait").fill("plan");
  await page.getByLabel("Rule 1 group 1 condition 1 value").fill("pro");
  await page.getByRole("button", { name: "Add a group to Rule 1 group 1" }).click();
  await choose(page, "Rule 1 group 1 group 1 match", "None of these (NOT)");
  await page.getByLabel("Rule 1 group 1 group 1 condition 1 trait").fill("age");
  await choose(page, "Rule 1 group 1 group 1 condition 1 operator", "modulo");
  // Any MODULO text is stored (it never matches, as in Flagsmith); a divisor of 0 is refused.
  await page.getByLabel("Rule 1 group 1 group 1 condition 1 value").fill("0|1");
  await page.getByRole("button", { name: "Create segment" }).click();
  await expect(page.getByText("A MODULO divisor cannot be 0.")).toBeVisible();
  await shot(page, "06-segment-validation");
  await page.getByLabel("Rule 1 group 1 group 1 condition 1 value").fill("2|1");
  await page.getByRole("button", { name: "Create segment" }).click();
  await expect(page.getByRole("heading", { name: "Segment pro users" })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Rule 1 group 1 group 1 condition 1 value")).toHaveValue("2|1");
  await shot(page, "07-segment-editor");

  await page.getByRole("link", { name: "← All segments" }).click();
  await page.getByRole("link", { name: "Create segment" }).first().click();
  await page.getByLabel("Name", { exact: false }).first().fill("beta testers");
  await page.getByLabel("Rule 1 group 1 condition 1 trait").fill("beta");
  await choose(page, "Rule 1 group 1 condition 1 operator", "is set");
  await page.getByRole("button", { name: "Create segment" }).click();
  await expect(page.getByRole("heading", { name: "Segment beta testers" })).toBeVisible();

  // --- segment overrides, reordered -----------------------------------------------------
  await page.getByRole("link", { name: "Features" }).click();
  await page.getByLabel("Search features").fill("");
  await page.getByRole("link", { name: "new_checkout" }).click();
  for (const segment of ["pro users", "beta testers"]) {
    await page.getByRole("textbox", { name: "Add an override for segment" }).click();
    await page.getByRole("option", { name: segment }).click();
    await page.getByRole("button", { name: "Add override" }).click();
    await expect(page.getByTestId(`override-${segment}`)).toBeVisible();
  }
  const pro = page.getByTestId("override-pro users");
  await pro.getByLabel("Value for pro users", { exact: true }).fill("gold");
  await pro.getByRole("button", { name: "Save for pro users" }).click();
  await expect(pro.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await page.getByRole("button", { name: "Move beta testers up" }).click();
  await expect(page.getByTestId(/^override-/).first()).toHaveAttribute("data-testid", "override-beta testers");
  await page.reload();
  await expect(page.getByTestId(/^override-/).first()).toHaveAttribute("data-testid", "override-beta testers");
  await page.getByRole("button", { name: "Move pro users up" }).click();
  await expect(page.getByTestId(/^override-/).first()).toHaveAttribute("data-testid", "override-pro users");
  await shot(page, "08-feature-overrides");

  // --- identities among many: search, traits, why each value won, identity overrides ----
  const token = await page.evaluate(() => window.localStorage.getItem("banderole.token"));
  const envKey = page.url().match(/environments\/([^/]+)\//)![1];
  for (let index = 1; index <= 25; index += 1) {
    const response = await request.post(`/api/v1/environments/${envKey}/identities/`, {
      headers: { Authorization: `Token ${token}` },
      data: { identifier: `user-${String(index).padStart(3, "0")}` },
    });
    expect(response.status()).toBe(201);
  }
  await page.getByRole("link", { name: "Identities" }).click();
  await expect(page.getByText("25 in all")).toBeVisible();
  await page.getByRole("button", { name: "Page 2" }).click();
  await expect(page.getByRole("link", { name: "user-025" })).toBeVisible();
  await page.getByLabel("Search identities").fill("user-007");
  await expect(page.getByText("1 in all")).toBeVisible();
  await page.getByRole("link", { name: "user-007" }).click();
  await expect(page.getByRole("heading", { name: "user-007" })).toBeVisible();
  const why = (feature: string) => page.getByTestId(`flag-${feature}`).getByTestId("why");
  await expect(why("new_checkout")).toHaveText("Environment default");
  await page.getByLabel("Trait", { exact: true }).fill("plan");
  await page.getByLabel("Trait value", { exact: true }).fill("pro");
  await page.getByRole("button", { name: "Set trait" }).click();
  await expect(why("new_checkout")).toHaveText("Segment override: pro users");
  await expect(page.getByTestId("flag-new_checkout")).toContainText("gold");
  await page.getByRole("button", { name: "Override new_checkout for this identity" }).click();
  await page.getByLabel("new_checkout value for this identity", { exact: true }).fill("just-for-007");
  await page.getByRole("button", { name: "Save override" }).click();
  await expect(why("new_checkout")).toHaveText("Identity override");
  await expect(page.getByTestId("flag-new_checkout")).toContainText("just-for-007");
  await page.reload();
  await expect(why("new_checkout")).toHaveText("Identity override");
  await shot(page, "09-identity");

  // --- SDK keys ----------------------------------------------------------------------------
  await page.getByRole("link", { name: "SDK keys" }).click();
  await expect(page.getByRole("textbox", { name: "Client-side environment key" })).toHaveValue(envKey);
  await expect(page.getByText(`environmentID: "${envKey}"`)).toBeVisible();
  await page.getByLabel("Name of the new key").fill("checkout-service");
  await page.getByRole("button", { name: "Create server-side key" }).click();
  await expect(page.getByRole("textbox", { name: "New server-side key" })).toHaveValue(/^ser\./);
  await page.getByRole("tab", { name: "Python" }).last().click();
  await expect(page.getByText("enable_local_evaluation=True")).toBeVisible();
  await shot(page, "10-sdk-keys");

  // --- members and invites --------------------------------------------------------------
  await page.getByRole("link", { name: "Members & invites" }).click();
  await expect(page.getByRole("cell", { name: email })).toBeVisible();
  await page.getByLabel("Invite by email").fill("bob@example.com");
  await page.getByRole("button", { name: "Send invite" }).click();
  await expect(page.getByRole("cell", { name: "bob@example.com", exact: true })).toBeVisible();
  await page.getByRole("button", { name: "New user link" }).click();
  await expect(page.getByRole("textbox", { name: "user link hash" })).toBeVisible();
  await shot(page, "11-members");

  // --- groups, permissions, an organisation API key, the audit log ------------------------
  // A second person joins through the invite link, as an invitee does (through the API).
  const linkHash = await page.getByRole("textbox", { name: "user link hash" }).inputValue();
  const bob = `bob-${Date.now()}@example.com`;
  const signedUp = await request.post("/api/v1/auth/users/", { data: { email: bob, password, first_name: "Bob", last_name: "Builder" } });
  expect(signedUp.status()).toBe(201);
  const bobAuth = { Authorization: `Token ${(await signedUp.json()).key}` };
  expect((await request.post(`/api/v1/users/join/link/${linkHash}/`, { headers: bobAuth })).status()).toBe(201);

  await page.getByRole("navigation").getByRole("link", { name: "Groups & permissions" }).click();
  await expect(page.getByText("No groups yet")).toBeVisible();
  await page.getByLabel("New group").fill("Developers");
  await page.getByRole("button", { name: "Create group" }).click();
  const developers = page.getByTestId("group-Developers");
  await expect(developers).toBeVisible();
  await choose(page, "Add a member to Developers", bob);
  await developers.getByRole("button", { name: "Add", exact: true }).click();
  await expect(developers.getByRole("cell", { name: bob, exact: true })).toBeVisible();
  await developers.getByRole("switch", { name: `${bob} is an admin of Developers` }).click({ force: true });
  await expect(developers.getByRole("switch", { name: `${bob} is an admin of Developers` })).toBeChecked();
  await shot(page, "14-groups");

  await page.getByRole("link", { name: "Permissions of Web shop" }).click();
  const projectId = page.url().match(/projects\/(\d+)\//)![1];
  const bobSees = () => request.get(`/api/v1/projects/${projectId}/`, { headers: bobAuth });
  expect((await bobSees()).status()).toBe(404); // no grant yet: the project is invisible to him
  await choose(page, "User or group", "Developers");
  await page.getByRole("checkbox", { name: "View project" }).check();
  await page.getByRole("checkbox", { name: "View audit log" }).check();
  await page.getByRole("button", { name: "Grant", exact: true }).click();
  const grant = page.getByTestId("grant-Developers");
  await expect(grant).toContainText("View project");
  await expect(grant).toContainText("View audit log");
  expect((await bobSees()).status()).toBe(200); // through his group
  // Change the grant, then grant Bob himself one environment.
  await grant.getByRole("button", { name: "Change the permissions of Developers" }).click();
  await page.getByRole("dialog").getByRole("checkbox", { name: "Create feature" }).check();
  await page.getByRole("button", { name: "Save permissions" }).click();
  await expect(grant).toContainText("Create feature");
  await choose(page, "Permissions on", "Environment: Development");
  await expect(page.getByRole("heading", { name: "Who may do what on the Development environment" })).toBeVisible();
  await choose(page, "User or group", bob);
  await page.getByRole("checkbox", { name: "Update feature state" }).check();
  await page.getByRole("button", { name: "Grant", exact: true }).click();
  await expect(page.getByTestId(`grant-${bob}`)).toContainText("Update feature state");
  await choose(page, "Permissions on", "The project");
  await expect(grant).toBeVisible();
  await shot(page, "15-project-permissions");

  await page.getByRole("link", { name: "API keys" }).click();
  await expect(page.getByText("No API key yet")).toBeVisible();
  await page.getByLabel("Name of the new key").fill("terraform");
  await page.getByRole("button", { name: "Create API key" }).click();
  const newKey = page.getByRole("textbox", { name: "New API key terraform" });
  await expect(newKey).toHaveValue(/^[0-9a-f]+\./);
  const apiKey = await newKey.inputValue();
  const byKey = await request.get(`/api/v1/projects/${projectId}/`, { headers: { Authorization: `Api-Key ${apiKey}` } });
  expect(byKey.status()).toBe(200);
  await expect(page.getByTestId("api-key-terraform")).toContainText("active");
  await shot(page, "16-api-keys");
  await page.reload();
  await expect(page.getByTestId("api-key-terraform")).toBeVisible();
  await expect(page.getByRole("textbox", { name: "New API key terraform" })).toHaveCount(0); // shown once

  await page.getByRole("link", { name: "Audit log", exact: true }).click();
  const entries = page.getByTestId(/^audit-entry-/);
  await expect(entries.first()).toBeVisible();
  await expect(page.getByText(/^Organisation api key created: terraform/)).toBeVisible();
  await expect(page.getByText(/^User group created: Developers/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Page 2" })).toBeVisible(); // the 25 identities alone fill a page
  await shot(page, "17-audit-log");
  await choose(page, "Object type", "Feature");
  await expect(page.getByText("Feature created: new_checkout")).toBeVisible();
  await expect(page.getByText("Feature created: button_colour")).toBeVisible();
  await choose(page, "Object type", "Feature state");
  await choose(page, "Action", "Updated");
  // The toggle of new_checkout at the start, as a field-level diff.
  const toggled = entries.filter({ hasText: "new_checkout" }).filter({ has: page.getByRole("cell", { name: "Enabled" }) }).first();
  await expect(toggled.getByRole("table", { name: "Changed fields" })).toContainText("false");
  await expect(toggled.getByRole("table", { name: "Changed fields" })).toContainText("true");
  await expect(toggled).toContainText(email);
  await shot(page, "18-audit-log-diff");
  await page.getByRole("button", { name: "Clear the filters" }).click();
  await expect(page.getByRole("textbox", { name: "Object type", exact: true })).toHaveValue("");
  await page.getByLabel("Search the audit log").fill("pro users");
  await expect(page.getByText("Segment created: pro users")).toBeVisible();
  // The project's own log, as Bob reads it through his group's View audit log.
  const bobLog = await request.get(`/api/v1/projects/${projectId}/audit/`, { headers: bobAuth });
  expect(bobLog.status()).toBe(200);
  expect((await bobLog.json()).count).toBeGreaterThan(20);
  await page.goto(`/projects/${projectId}/audit?type=SEGMENT`);
  await expect(page.getByText("Segment created: beta testers")).toBeVisible();

  // --- destructive actions ask first ------------------------------------------------------
  await page.getByRole("link", { name: "Projects", exact: true }).click();
  await page.getByRole("link", { name: "Web shop" }).click();
  await page.getByRole("link", { name: "button_colour" }).click();
  await page.getByRole("button", { name: "Delete feature" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete button_colour?" });
  await expect(confirm).toBeVisible();
  await confirm.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("heading", { name: /^Features/ })).toBeVisible();
  await expect(page.getByTestId("feature-row-button_colour")).toHaveCount(0);

  // --- phone width ----------------------------------------------------------------------
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(page.getByTestId("feature-row-new_checkout")).toBeVisible();
  await shot(page, "12-features-phone");
  await page.getByRole("button", { name: "Toggle navigation" }).click();
  await page.getByRole("link", { name: "Segments" }).click();
  await expect(page.getByRole("link", { name: "pro users" })).toBeVisible();
  await page.waitForTimeout(500); // the navigation drawer's closing transition
  await shot(page, "13-segments-phone");
  await page.getByRole("button", { name: "Toggle navigation" }).click();
  await page.getByRole("link", { name: "Project audit log" }).click();
  await expect(page.getByTestId(/^audit-entry-/).first()).toBeVisible();
  await page.waitForTimeout(500);
  await shot(page, "19-audit-log-phone", false); // the first screen: a full page is 20 entries tall
  await page.getByRole("button", { name: "Toggle navigation" }).click();
  await page.getByRole("link", { name: "Project permissions" }).click();
  await expect(page.getByTestId("grant-Developers")).toBeVisible();
  await page.waitForTimeout(500);
  await shot(page, "20-permissions-phone");
  await page.getByRole("button", { name: "Toggle navigation" }).click();
  await page.getByRole("link", { name: "Segments" }).click();
  await expect(page.getByRole("link", { name: "pro users" })).toBeVisible();

  // --- logging out and back in keeps the deep link -----------------------------------------
  await page.setViewportSize({ width: 1280, height: 800 });
  const deepLink = page.url();
  await page.getByRole("button", { name: "Log out" }).click();
  await page.goto(deepLink);
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(deepLink);
  await expect(page.getByRole("link", { name: "beta testers" })).toBeVisible();
});
