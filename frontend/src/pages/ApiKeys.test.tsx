import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { baseHandlers } from "../test/fixtures";
import { API, renderApp } from "../test/render";
import { server } from "../test/server";

// Several queries run one after another before the page settles; the machine may be busy.
const SLOW = { timeout: 5000 };

const PAGE = "/organisations/1/api-keys";
const SECRET = "a1b2c3d4.s3cr3t-only-shown-once";

function apiKey(extra: Record<string, unknown> = {}) {
  return {
    id: 4,
    prefix: "a1b2c3d4",
    key: null,
    name: "terraform",
    created: "2026-02-01T10:00:00Z",
    expiry_date: null,
    revoked: false,
    is_admin: true,
    group: null,
    has_expired: false,
    ...extra,
  };
}

function handlers(admin = true) {
  const keys: ReturnType<typeof apiKey>[] = [];
  const calls: { method: string; body: unknown }[] = [];
  return {
    calls,
    list: [
      ...baseHandlers,
      http.get(`${API}/organisations/1/my-permissions/`, () => HttpResponse.json({ admin, permissions: [] })),
      http.get(`${API}/organisations/1/groups/summaries/`, () => HttpResponse.json([{ id: 7, name: "Developers" }])),
      http.get(`${API}/organisations/1/master-api-keys/`, () => HttpResponse.json(keys)),
      http.post(`${API}/organisations/1/master-api-keys/`, async ({ request }) => {
        const body = await request.json();
        calls.push({ method: "POST", body });
        keys.push(apiKey());
        // Only the create response carries the key.
        return HttpResponse.json(apiKey({ key: SECRET }), { status: 201 });
      }),
      http.patch(`${API}/organisations/1/master-api-keys/a1b2c3d4/`, async ({ request }) => {
        const body = await request.json();
        calls.push({ method: "PATCH", body });
        keys[0] = apiKey({ revoked: true });
        return HttpResponse.json(keys[0]);
      }),
    ],
  };
}

describe("ApiKeysPage", () => {
  it("shows a new key once, copyable, and never again", async () => {
    const api = handlers();
    server.use(...api.list);
    renderApp(PAGE);

    expect(await screen.findByText("No API key yet", undefined, SLOW)).toBeInTheDocument();
    await userEvent.type(screen.getByRole("textbox", { name: "Name of the new key" }), "terraform");
    await userEvent.click(screen.getByRole("button", { name: "Create API key" }));

    const banner = await screen.findByTestId("new-api-key", undefined, SLOW);
    expect(within(banner).getByText("Copy this key now: it will not be shown again")).toBeInTheDocument();
    expect(within(banner).getByRole("textbox", { name: "New API key terraform" })).toHaveValue(SECRET);
    expect(within(banner).getByRole("button", { name: "Copy New API key terraform" })).toBeInTheDocument();
    expect(api.calls[0].body).toEqual({ name: "terraform", is_admin: true, group: null, expiry_date: null });
    // The list shows the prefix only.
    const row = await screen.findByTestId("api-key-terraform");
    expect(row).toHaveTextContent("a1b2c3d4.…");
    expect(row).not.toHaveTextContent(SECRET);

    await userEvent.click(within(banner).getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByDisplayValue(SECRET)).not.toBeInTheDocument();
    expect(screen.queryByText(SECRET)).not.toBeInTheDocument();
  });

  it("scopes a non-admin key to a group and revokes a key after confirmation", async () => {
    const api = handlers();
    server.use(...api.list);
    renderApp(PAGE);

    await userEvent.type(await screen.findByRole("textbox", { name: "Name of the new key" }, SLOW), "terraform");
    await userEvent.click(screen.getByRole("checkbox", { name: /Admin key/ }));
    await userEvent.click(screen.getByRole("textbox", { name: /^Group/ }));
    await userEvent.click(await screen.findByRole("option", { name: "Developers", hidden: true }));
    await userEvent.click(screen.getByRole("button", { name: "Create API key" }));
    await waitFor(() => expect(api.calls[0]?.body).toMatchObject({ is_admin: false, group: 7 }));

    await userEvent.click(await screen.findByRole("button", { name: "Revoke the API key terraform" }));
    const dialog = await screen.findByRole("dialog", { name: "Revoke the API key terraform?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Revoke" }));

    await waitFor(() => expect(api.calls[1]).toEqual({ method: "PATCH", body: { revoked: true } }));
    expect(await screen.findByText("revoked")).toBeInTheDocument();
  });

  it("tells a member who is not an admin, without asking for the keys", async () => {
    const api = handlers(false);
    server.use(...api.list.filter((handler) => !String(handler.info.header).includes("master-api-keys")));
    renderApp(PAGE);

    expect(await screen.findByText("Only organisation admins manage API keys", undefined, SLOW)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Create API key" })).not.toBeInTheDocument();
  });
});
