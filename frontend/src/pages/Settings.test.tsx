import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { baseHandlers, environment } from "../test/fixtures";
import { API, renderApp } from "../test/render";
import { server } from "../test/server";
import { regexCheck } from "./Settings";

const SETTINGS = "/projects/1/environments/envkey123/settings";

describe("environment settings", () => {
  it("sends only what changed and says so", async () => {
    let sent: unknown;
    server.use(
      http.patch(`${API}/environments/envkey123/`, async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json({ ...environment, protected: true });
      }),
      http.get(`${API}/environments/envkey123/webhooks/`, () => HttpResponse.json([])),
      ...baseHandlers,
    );
    renderApp(SETTINGS);
    await userEvent.click(await screen.findByRole("switch", { name: /^Protected/ }));
    await userEvent.click(screen.getByRole("checkbox", { name: /Allow client-side keys/ }));

    await userEvent.click(screen.getByRole("button", { name: "Save environment settings" }));

    await waitFor(() => expect(sent).toEqual({ protected: true, allow_client_traits: false }));
  });

  it("sets and clears the minimum approvals for a flag change", async () => {
    const sent: unknown[] = [];
    server.use(
      http.patch(`${API}/environments/envkey123/`, async ({ request }) => {
        sent.push(await request.json());
        return HttpResponse.json(environment);
      }),
      http.get(`${API}/environments/envkey123/webhooks/`, () => HttpResponse.json([])),
      ...baseHandlers,
    );
    renderApp(SETTINGS);
    const approvals = await screen.findByRole("textbox", { name: /^Minimum approvals/ });
    await userEvent.type(approvals, "2");
    await userEvent.click(screen.getByRole("button", { name: "Save environment settings" }));
    await waitFor(() => expect(sent).toEqual([{ minimum_change_request_approvals: 2 }]));

    await userEvent.clear(await screen.findByRole("textbox", { name: /^Minimum approvals/ }));
    await userEvent.click(screen.getByRole("button", { name: "Save environment settings" }));

    await waitFor(() => expect(sent).toEqual([{ minimum_change_request_approvals: 2 }, { minimum_change_request_approvals: null }]));
  });

  it("explains a 403: which permission the change needs and whom to ask", async () => {
    server.use(
      http.patch(`${API}/environments/envkey123/`, () => HttpResponse.json({ detail: "You do not have permission to perform this action." }, { status: 403 })),
      http.get(`${API}/environments/envkey123/webhooks/`, () => HttpResponse.json({ detail: "You do not have permission to perform this action." }, { status: 403 })),
      ...baseHandlers,
    );
    renderApp(SETTINGS);
    await userEvent.type(await screen.findByRole("textbox", { name: "Banner text" }), "Careful");

    await userEvent.click(screen.getByRole("button", { name: "Save environment settings" }));

    const alert = (await screen.findByText("Not saved: you may not change these settings")).closest("[role=alert]");
    expect(alert).not.toBeNull();
    expect(alert).toHaveTextContent("admin rights on this environment");
    expect(screen.getByText("Only admins see webhooks")).toBeInTheDocument();
  });
});

describe("webhook test send", () => {
  it("shows the receiver's status when it refuses", async () => {
    server.use(
      http.get(`${API}/environments/envkey123/webhooks/`, () =>
        HttpResponse.json([{ id: 3, url: "http://127.0.0.1:9/hook", enabled: true, secret: "", created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" }]),
      ),
      http.post(`${API}/webhooks/test/`, () =>
        HttpResponse.json({ detail: "Webhook returned invalid status", body: "Please check the webhook endpoint", status: 500 }, { status: 400 }),
      ),
      ...baseHandlers,
    );
    renderApp(SETTINGS);

    await userEvent.click(await screen.findByRole("button", { name: "Send a test to http://127.0.0.1:9/hook" }));

    const result = await screen.findByTestId("webhook-test-result");
    expect(result).toHaveTextContent("Receiver answered 500. Webhook returned invalid status");
    expect(within(screen.getByRole("table")).getByText("unsigned")).toBeInTheDocument();
  });
});

describe("the feature name pattern's live check", () => {
  it("applies the pattern to the whole name, as the API does", () => {
    expect(regexCheck("[a-z_]+", "new_checkout")).toEqual({ matches: true });
    expect(regexCheck("[a-z_]+", "New-Checkout")).toEqual({ matches: false });
    expect(regexCheck("[a-z", "x").error).toMatch(/^Not a valid pattern/);
    expect(regexCheck("", "anything")).toEqual({});
  });
});
