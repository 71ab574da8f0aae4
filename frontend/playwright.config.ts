// The browser journey against a real Banderole server. The server is started by the
// pytest wrapper (api/tests/e2e/test_dashboard_browser.py), which passes its URL in
// BANDEROLE_URL; Chromium is Debian's (browser downloads do not work everywhere).
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "e2e",
  outputDir: "e2e-artifacts/test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 240_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL: process.env.BANDEROLE_URL ?? "http://127.0.0.1:8000",
    viewport: { width: 1280, height: 800 },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // Root in containers and CI cannot use Chromium's sandbox.
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    },
  },
});
