// Under the server's Content-Security-Policy the pages still work, and nothing they do is
// blocked: Swagger UI renders the schema, the Django admin shows its login form, the dashboard
// its login page. Any CSP violation the browser reports fails the test.
import { expect, test, type Page } from "@playwright/test";

async function watchViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.exposeFunction("reportViolation", (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (window as any).reportViolation(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return violations;
}

test("Swagger UI renders the schema under the policy", async ({ page }) => {
  const violations = await watchViolations(page);
  const response = await page.goto("/api/v1/docs/");
  expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
  await expect(page.locator(".swagger-ui .info .title")).toContainText("Banderole API", { timeout: 30_000 });
  await expect(page.locator(".opblock").first()).toBeVisible();
  expect(violations).toEqual([]);
});

test("the Django admin login works under the policy", async ({ page }) => {
  const violations = await watchViolations(page);
  const response = await page.goto("/admin/login/");
  expect(response?.headers()["content-security-policy"]).toContain("default-src 'self'");
  await expect(page.locator("#login-form")).toBeVisible();
  expect(violations).toEqual([]);
});

test("the dashboard starts under the policy", async ({ page }) => {
  const violations = await watchViolations(page);
  const response = await page.goto("/");
  expect(response?.headers()["content-security-policy"]).toContain("object-src 'none'");
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  expect(violations).toEqual([]);
});
