import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { OPERATORS, newRule, toApi } from "../components/RuleEditor";
import { baseHandlers } from "../test/fixtures";
import { API, renderApp } from "../test/render";
import { server } from "../test/server";

describe("RuleEditor", () => {
  it("offers every operator the API knows", () => {
    expect(OPERATORS.map((item) => item.value).sort()).toEqual(
      [
        "EQUAL", "NOT_EQUAL", "GREATER_THAN", "GREATER_THAN_INCLUSIVE", "LESS_THAN", "LESS_THAN_INCLUSIVE", "CONTAINS",
        "NOT_CONTAINS", "REGEX", "MODULO", "IN", "IS_SET", "IS_NOT_SET", "PERCENTAGE_SPLIT",
      ].sort(),
    );
  });

  it("writes nested groups in the API's shape, without a value for IS_SET or a property for % split", () => {
    const rule = newRule("ALL");
    rule.conditions = [{ key: "a", operator: "IS_SET", property: "beta", value: "ignored" }];
    rule.rules = [{ ...newRule("NONE"), conditions: [{ key: "b", operator: "PERCENTAGE_SPLIT", property: "x", value: "30" }] }];

    expect(toApi(rule)).toEqual({
      type: "ALL",
      delete: false,
      conditions: [{ operator: "IS_SET", property: "beta", value: null, delete: false }],
      rules: [{ type: "NONE", delete: false, conditions: [{ operator: "PERCENTAGE_SPLIT", property: null, value: "30", delete: false }], rules: [] }],
    });
  });
});

describe("SegmentEditorPage", () => {
  it("shows each validation message beside the condition field it is about", async () => {
    let sent: { rules: unknown[] } | undefined;
    server.use(
      ...baseHandlers,
      http.post(`${API}/projects/1/segments/`, async ({ request }) => {
        sent = (await request.json()) as { rules: unknown[] };
        return HttpResponse.json(
          { rules: [{ rules: [{ conditions: [{ property: ["The EQUAL operator needs a property."] }] }] }] },
          { status: 400 },
        );
      }),
    );
    renderApp("/projects/1/segments/new");
    await userEvent.type(await screen.findByRole("textbox", { name: /^Name/ }), "pro users");
    await userEvent.type(screen.getByRole("textbox", { name: "Rule 1 group 1 condition 1 value" }), "pro");

    await userEvent.click(screen.getByRole("button", { name: "Create segment" }));

    const trait = screen.getByRole("textbox", { name: "Rule 1 group 1 condition 1 trait" });
    await waitFor(() => expect(trait).toHaveAttribute("aria-invalid", "true"));
    expect(screen.getByText("The EQUAL operator needs a property.")).toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Rule 1 group 1 condition 1 value" })).toHaveAttribute("aria-invalid", "false");
    expect(screen.getByText("Not saved: see the messages above.")).toBeInTheDocument();
    expect(sent?.rules).toHaveLength(1);
  });

  it("adds and removes nested groups", async () => {
    server.use(...baseHandlers);
    renderApp("/projects/1/segments/new");

    await userEvent.click(await screen.findByRole("button", { name: "Add a group to Rule 1 group 1" }));
    expect(screen.getByRole("textbox", { name: "Rule 1 group 1 group 1 condition 1 trait" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Remove Rule 1 group 1 group 1" }));

    expect(screen.queryByRole("textbox", { name: "Rule 1 group 1 group 1 condition 1 trait" })).not.toBeInTheDocument();
  });
});
