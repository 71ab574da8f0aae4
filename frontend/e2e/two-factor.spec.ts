// Two-factor sign-in in a real browser against a real server: enrol an authenticator app from
// Account → Security (its QR code and key), log out, log in with the password and then a code.
// The "app" is the RFC 6238 computation below, fed the key the page shows.
import { expect, test } from "@playwright/test";
import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";

const shots = process.env.SCREENSHOT_DIR ?? resolve(import.meta.dirname, "../e2e-artifacts");
mkdirSync(shots, { recursive: true });

function base32(secret: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of secret.replace(/=+$/, "").toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    bits += value.toString(2).padStart(5, "0");
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((byte) => parseInt(byte, 2)));
}

/** The 6-digit TOTP code (SHA-1, 30 s steps) ``stepsAhead`` steps from now. */
function totp(secret: string, stepsAhead = 0): string {
  const counter = Math.floor(Date.now() / 1000 / 30) + stepsAhead;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac("sha1", base32(secret)).update(message).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const number = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return number.toString().padStart(6, "0");
}

const email = `two-factor-${Date.now()}@example.com`;
const password = "correct-horse-battery-staple";

test("a user turns on two-factor sign-in and signs in with a code", async ({ page }) => {
  await page.goto("/signup");
  await page.getByLabel("First name").fill("Tess");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Welcome to Banderole" })).toBeVisible();

  // --- enrol ------------------------------------------------------------------------------
  await page.getByRole("link", { name: "Security" }).click();
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  const secret = (await page.getByTestId("totp-secret").textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.screenshot({ path: resolve(shots, "30-two-factor-enrol.png"), fullPage: true });
  await page.getByLabel("Code from the app").fill("000000");
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByText("Code invalid or expired.")).toBeVisible();
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  const backupCodes = page.getByRole("list", { name: "Backup codes" });
  await expect(backupCodes.getByRole("listitem")).toHaveCount(5);
  const backupCode = (await backupCodes.getByRole("listitem").first().textContent())!.trim();
  await page.getByRole("button", { name: "I have saved them" }).click();
  await expect(page.getByRole("button", { name: "Turn off two-factor sign-in" })).toBeVisible();

  // --- log out, then the password alone is not enough ----------------------------------------
  await page.getByRole("button", { name: "Log out" }).click();
  await page.goto("/account/security");
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Two-factor sign-in" })).toBeVisible();
  await page.screenshot({ path: resolve(shots, "31-two-factor-code.png"), fullPage: true });
  await page.getByLabel("Authentication code").fill("000000");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("alert")).toContainText("Invalid or expired code.");
  // The code that turned it on is spent: the app's next one (the server takes one step ahead).
  await page.getByLabel("Authentication code").fill(totp(secret, 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/account\/security$/);
  await expect(page.getByRole("button", { name: "Turn off two-factor sign-in" })).toBeVisible();

  // --- a backup code signs in once too --------------------------------------------------------
  await page.getByRole("button", { name: "Log out" }).click();
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByLabel("Authentication code").fill(backupCode);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Welcome to Banderole" })).toBeVisible();
});
