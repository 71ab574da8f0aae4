import { screen, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { baseHandlers, page } from "../test/fixtures";
import { API, renderApp } from "../test/render";
import { server } from "../test/server";
import { whyItWon, type EffectiveFlag } from "./IdentityDetail";

const flag = (name: string, extra: Partial<EffectiveFlag>): EffectiveFlag => ({
  feature: { id: 1, name, type: "STANDARD" },
  feature_state_id: 1,
  enabled: true,
  feature_state_value: null,
  overridden_by: null,
  ...extra,
});

describe("whyItWon", () => {
  it("names what decided the value", () => {
    expect(whyItWon(flag("a", { overridden_by: "IDENTITY" }))).toBe("Identity override");
    expect(whyItWon(flag("a", { overridden_by: "SEGMENT", segment: { id: 3, name: "pro users" } }))).toBe("Segment override: pro users");
    expect(whyItWon(flag("a", {}))).toBe("Environment default");
    expect(whyItWon(flag("a", { feature: { id: 1, name: "a", type: "MULTIVARIATE" }, variant: "red" }))).toBe("Environment: variant red of the % split");
  });
});

describe("IdentityDetailPage", () => {
  it("shows traits and every flag with why it won", async () => {
    const base = `${API}/environments/envkey123/identities/7`;
    server.use(
      ...baseHandlers,
      http.get(`${base}/`, () => HttpResponse.json({ id: 7, identifier: "user-7", identity_uuid: "u", environment: 5, created_date: "2026-01-01T00:00:00Z" })),
      http.get(`${base}/traits/`, () => HttpResponse.json(page([{ id: 1, trait_key: "plan", trait_value: "pro", value_type: "unicode", created_date: "2026-01-01T00:00:00Z" }]))),
      http.get(`${base}/featurestates/`, () => HttpResponse.json(page([]))),
      http.get(`${base}/featurestates/all/`, () =>
        HttpResponse.json([
          { feature: { id: 11, name: "new_checkout", type: "STANDARD" }, feature_state_id: 5, enabled: true, feature_state_value: "gold", variant: null, overridden_by: "SEGMENT", segment: { id: 2, name: "pro users" } },
          { feature: { id: 12, name: "dark_mode", type: "STANDARD" }, feature_state_id: 6, enabled: false, feature_state_value: null, variant: null, overridden_by: null, segment: null },
        ]),
      ),
    );
    renderApp("/projects/1/environments/envkey123/identities/7");

    expect(await screen.findByRole("heading", { name: "user-7" })).toBeInTheDocument();
    expect(await screen.findByRole("cell", { name: "plan" })).toBeInTheDocument();
    const checkout = await screen.findByTestId("flag-new_checkout");
    expect(within(checkout).getByTestId("why")).toHaveTextContent("Segment override: pro users");
    expect(within(checkout).getByText("gold")).toBeInTheDocument();
    expect(within(screen.getByTestId("flag-dark_mode")).getByTestId("why")).toHaveTextContent("Environment default");
  });
});
