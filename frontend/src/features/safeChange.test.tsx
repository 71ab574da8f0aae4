import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import { baseHandlers, pickerHandlers, environment, feature, page, state } from "../test/fixtures";
import { API, renderApp } from "../test/render";
import { server } from "../test/server";
import { UNDO_MS, describeChange, looksLikeProduction } from "./safeChange";

const FEATURES = "/projects/1/environments/envkey123/features";

function handlers(protectedEnv: boolean, sent: unknown[]) {
  // The first matching handler answers: the overrides come before the base ones.
  return [
    http.get(`${API}/projects/1/environments/`, () => HttpResponse.json([{ ...environment, name: "Production", protected: protectedEnv }])),
    http.get(`${API}/projects/1/features/`, () => HttpResponse.json(page([feature(12, "dark_mode")]))),
    http.get(`${API}/environments/envkey123/featurestates/`, () => HttpResponse.json(page([state(102, 12, false)]))),
    http.patch(`${API}/environments/envkey123/featurestates/102/`, async ({ request }) => {
      const body = (await request.json()) as { enabled: boolean };
      sent.push(body);
      return HttpResponse.json(state(102, 12, body.enabled));
    }),
    ...baseHandlers,
    ...pickerHandlers,
  ];
}

afterEach(() => vi.useRealTimers());

describe("describeChange and looksLikeProduction", () => {
  it("names the feature, the environment and the new value", () => {
    expect(describeChange("dark_mode", "Production", { enabled: true })).toBe("Turn dark_mode on in Production?");
    expect(describeChange("dark_mode", "Production", { enabled: false, value: "blue", valueChanged: true })).toBe(
      "Turn dark_mode off with the value blue in Production?",
    );
    expect(describeChange("limit", "Live", { value: 10, valueChanged: true })).toBe("Set limit in Live with the value 10?");
  });

  it("suggests protection for production-like names only", () => {
    for (const name of ["Production", "prod", "EU-Prod", "live", "prd_eu"]) expect(looksLikeProduction(name)).toBe(true);
    for (const name of ["Development", "Staging", "product-demo", "delivery"]) expect(looksLikeProduction(name)).toBe(false);
  });
});

describe("toggling in a protected environment", { timeout: 40_000 }, () => {
  it("asks first, naming feature, environment and new value, and changes nothing on cancel", async () => {
    const sent: unknown[] = [];
    server.use(...handlers(true, sent));
    renderApp(FEATURES);
    const toggle = await screen.findByRole("switch", { name: "dark_mode enabled" });

    await userEvent.click(toggle);
    const dialog = await screen.findByRole("dialog", { name: "Change Production?" });
    expect(dialog).toHaveTextContent("Turn dark_mode on in Production?");
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(toggle).not.toBeChecked();
    expect(sent).toEqual([]);
  });

  it("changes the flag once confirmed, with no undo offered", async () => {
    const sent: unknown[] = [];
    server.use(...handlers(true, sent));
    renderApp(FEATURES);
    await userEvent.click(await screen.findByRole("switch", { name: "dark_mode enabled" }));

    await userEvent.click(await screen.findByRole("button", { name: "Turn dark_mode on" }));

    await waitFor(() => expect(sent).toEqual([{ enabled: true }]));
    expect(screen.getByRole("switch", { name: "dark_mode enabled" })).toBeChecked();
    expect(screen.queryByRole("button", { name: "Undo" })).not.toBeInTheDocument();
  });
});

describe("undo after an unprotected toggle", { timeout: 40_000 }, () => {
  it("offers Undo, which turns the flag back", async () => {
    const sent: unknown[] = [];
    server.use(...handlers(false, sent));
    renderApp(FEATURES);
    const toggle = await screen.findByRole("switch", { name: "dark_mode enabled" });

    await userEvent.click(toggle);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(await screen.findByText("dark_mode turned on in Production.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Undo" }));

    await waitFor(() => expect(sent).toEqual([{ enabled: true }, { enabled: false }]));
    await waitFor(() => expect(toggle).not.toBeChecked());
    expect(screen.queryByRole("button", { name: "Undo" })).not.toBeInTheDocument();
  });

  it("withdraws the offer after a few seconds", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const sent: unknown[] = [];
    server.use(...handlers(false, sent));
    renderApp(FEATURES);
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    await user.click(await screen.findByRole("switch", { name: "dark_mode enabled" }));
    expect(await screen.findByRole("button", { name: "Undo" })).toBeInTheDocument();

    vi.advanceTimersByTime(UNDO_MS + 100);

    await waitFor(() => expect(screen.queryByRole("button", { name: "Undo" })).not.toBeInTheDocument());
    expect(sent).toEqual([{ enabled: true }]);
  });
});
