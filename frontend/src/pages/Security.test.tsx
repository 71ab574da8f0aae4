import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { baseHandlers, page } from "../test/fixtures";
import { API, renderApp } from "../test/render";
import { server } from "../test/server";

const QR_LINK = "otpauth://totp/Banderole:olive%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Banderole";

describe("two-factor sign-in", () => {
  it("enrols: QR code and key, a first code, then the backup codes once", async () => {
    let active = false;
    let confirmed: unknown = null;
    server.use(
      ...baseHandlers,
      http.get(`${API}/auth/mfa/user-active-methods/`, () =>
        HttpResponse.json(active ? [{ name: "app", is_primary: true }] : []),
      ),
      http.post(`${API}/auth/app/activate/`, () => HttpResponse.json({ qr_link: QR_LINK, secret: "JBSWY3DPEHPK3PXP" })),
      http.post(`${API}/auth/app/activate/confirm/`, async ({ request }) => {
        confirmed = await request.json();
        active = true;
        return HttpResponse.json({ backup_codes: ["aaaaaaaaaa", "bbbbbbbbbb"] });
      }),
    );
    renderApp("/account/security");

    await userEvent.click(await screen.findByRole("button", { name: "Set up two-factor sign-in" }));

    expect(await screen.findByRole("img", { name: "QR code for your authenticator app" })).toBeInTheDocument();
    expect(screen.getByTestId("totp-secret")).toHaveTextContent("JBSWY3DPEHPK3PXP");
    await userEvent.type(screen.getByRole("textbox", { name: /Code from the app/ }), "123456");
    await userEvent.click(screen.getByRole("button", { name: "Turn on" }));
    const codes = await screen.findByRole("list", { name: "Backup codes" });
    expect(within(codes).getByText("aaaaaaaaaa")).toBeInTheDocument();
    expect(confirmed).toEqual({ code: "123456" });
    await userEvent.click(screen.getByRole("button", { name: "I have saved them" }));
    expect(await screen.findByRole("button", { name: "Turn off two-factor sign-in" })).toBeInTheDocument();
  });

  it("shows the API's words for a wrong first code", async () => {
    server.use(
      ...baseHandlers,
      http.get(`${API}/auth/mfa/user-active-methods/`, () => HttpResponse.json([])),
      http.post(`${API}/auth/app/activate/`, () => HttpResponse.json({ qr_link: QR_LINK, secret: "JBSWY3DPEHPK3PXP" })),
      http.post(`${API}/auth/app/activate/confirm/`, () =>
        HttpResponse.json({ code: ["Code invalid or expired."] }, { status: 400 }),
      ),
    );
    renderApp("/account/security");
    await userEvent.click(await screen.findByRole("button", { name: "Set up two-factor sign-in" }));
    await userEvent.type(await screen.findByRole("textbox", { name: /Code from the app/ }), "000000");

    await userEvent.click(screen.getByRole("button", { name: "Turn on" }));

    expect(await screen.findByText("Code invalid or expired.")).toBeInTheDocument();
  });

  it("asks for the code after the password, and signs in with the token it gives", async () => {
    let sent: unknown = null;
    server.use(
      ...baseHandlers,
      http.post(`${API}/auth/login/`, () => HttpResponse.json({ ephemeral_token: "eph", method: "app" })),
      http.post(`${API}/auth/login/code/`, async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json({ key: "two-factor-token" });
      }),
      http.get(`${API}/projects/`, () => HttpResponse.json([])),
    );
    renderApp("/login", { token: null });
    await userEvent.type(screen.getByRole("textbox", { name: /Email/ }), "olive@example.com");
    await userEvent.type(screen.getByLabelText(/Password/), "a-long-passphrase");
    await userEvent.click(screen.getByRole("button", { name: "Log in" }));

    await userEvent.type(await screen.findByRole("textbox", { name: /Authentication code/ }), "654321");
    await userEvent.click(screen.getByRole("button", { name: "Verify" }));

    expect(await screen.findByText("No project yet")).toBeInTheDocument();
    expect(sent).toEqual({ ephemeral_token: "eph", code: "654321" });
    expect(window.localStorage.getItem("banderole.token")).toBe("two-factor-token");
  });

  it("says why a code was refused", async () => {
    server.use(
      http.post(`${API}/auth/login/`, () => HttpResponse.json({ ephemeral_token: "eph", method: "app" })),
      http.post(`${API}/auth/login/code/`, () => HttpResponse.json({ error: "Invalid or expired code." }, { status: 401 })),
    );
    renderApp("/login", { token: null });
    await userEvent.type(screen.getByRole("textbox", { name: /Email/ }), "olive@example.com");
    await userEvent.type(screen.getByLabelText(/Password/), "a-long-passphrase");
    await userEvent.click(screen.getByRole("button", { name: "Log in" }));
    await userEvent.type(await screen.findByRole("textbox", { name: /Authentication code/ }), "000000");

    await userEvent.click(screen.getByRole("button", { name: "Verify" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Invalid or expired code.");
    expect(window.localStorage.getItem("banderole.token")).toBeNull();
  });

  it("sends a member of an organisation that requires it to the security page", async () => {
    server.use(
      // Before baseHandlers: the first matching handler answers.
      http.get(`${API}/organisations/`, () =>
        HttpResponse.json(page([{ id: 1, uuid: "o", name: "Acme", role: "USER", force_2fa: true }])),
      ),
      http.get(`${API}/auth/mfa/user-active-methods/`, () => HttpResponse.json([])),
      ...baseHandlers,
    );
    renderApp("/organisations");

    expect(await screen.findByRole("button", { name: "Set up two-factor sign-in" })).toBeInTheDocument();
    expect(await screen.findByText(/Acme requires two-factor sign-in/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Set up two-factor sign-in" })).toBeInTheDocument();
  });
});
