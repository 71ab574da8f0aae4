import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { baseHandlers, page } from "../test/fixtures";
import { API, renderApp } from "../test/render";
import { server } from "../test/server";

// Several queries run one after another before the page settles; the machine may be busy.
const SLOW = { timeout: 5000 };

function entry(id: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    created_date: "2026-03-02T09:30:00Z",
    log: "Feature state updated: new_checkout",
    author: { id: 1, email: "olive@example.com", first_name: "Olive", last_name: "" },
    api_key: null,
    source: "API",
    action: "UPDATE",
    organisation: 1,
    project: 1,
    environment: 5,
    related_object_type: "FEATURE_STATE",
    related_object_id: 101,
    is_system_event: false,
    changes: {},
    ...extra,
  };
}

const entries = [
  entry(3, { changes: { enabled: { old: false, new: true }, feature_id: { old: null, new: 1 }, feature_state_value: { old: "blue", new: "gold" } } }),
  entry(2, {
    log: "Feature created: new_checkout",
    action: "CREATE",
    environment: null,
    related_object_type: "FEATURE",
    author: null,
    api_key: { id: 9, prefix: "a1b2c3d4", name: "terraform" },
    changes: { name: { old: null, new: "new_checkout" }, type: { old: null, new: "STANDARD" } },
  }),
];

function handlers(projectPermissions: string[] = ["VIEW_AUDIT_LOG"]) {
  const queries: URLSearchParams[] = [];
  return {
    queries,
    list: [
      ...baseHandlers,
      http.get(`${API}/projects/1/my-permissions/`, () => HttpResponse.json({ admin: false, permissions: projectPermissions })),
      // Names for the ids in changes.
      http.get(`${API}/projects/1/features/`, () => HttpResponse.json(page([{ id: 1, name: "new_checkout" }]))),
      http.get(`${API}/projects/1/segments/`, () => HttpResponse.json(page([]))),
      http.get(`${API}/projects/1/tags/`, () => HttpResponse.json(page([]))),
      http.get(`${API}/organisations/1/my-permissions/`, () => HttpResponse.json({ admin: true, permissions: [] })),
      http.get(`${API}/projects/`, () => HttpResponse.json([{ id: 1, name: "Web shop", organisation: 1 }])),
      http.get(`${API}/organisations/1/users/`, () => HttpResponse.json([{ id: 1, email: "olive@example.com", first_name: "Olive", last_name: "", role: "ADMIN" }])),
      http.get(`${API}/projects/1/audit/`, ({ request }) => {
        queries.push(new URL(request.url).searchParams);
        return HttpResponse.json(page(entries));
      }),
      http.get(`${API}/organisations/1/audit/`, ({ request }) => {
        const params = new URL(request.url).searchParams;
        queries.push(params);
        return HttpResponse.json(page(entries.filter((item) => !params.get("action") || item.action === params.get("action"))));
      }),
    ],
  };
}

describe("AuditLogPage", () => {
  it("shows who changed what, where and when, with each field before and after", async () => {
    server.use(...handlers().list);
    renderApp("/projects/1/audit");

    const update = await screen.findByTestId("audit-entry-3", undefined, SLOW);
    expect(within(update).getByText("Updated")).toBeInTheDocument();
    expect(within(update).getByText("Feature state updated: new_checkout")).toBeInTheDocument();
    expect(within(update).getByText("olive@example.com")).toBeInTheDocument();
    expect(within(update).getByText(/Development · Feature state/)).toBeInTheDocument();
    const rows = within(within(update).getByRole("table", { name: "Changed fields" })).getAllByRole("row");
    expect(rows.map((row) => row.textContent)).toEqual(["FieldBeforeAfter", "Enabledfalsetrue", "Featurenonenew_checkout", "Feature state valuebluegold"]);

    // A creation shows only what was set, and an API key as its author.
    const created = screen.getByTestId("audit-entry-2");
    expect(within(created).getByText("API key terraform (a1b2c3d4…)")).toBeInTheDocument();
    const createdRows = within(within(created).getByRole("table", { name: "Changed fields" })).getAllByRole("row");
    expect(createdRows.map((row) => row.textContent)).toEqual(["FieldSet to", "Namenew_checkout", "TypeSTANDARD"]);
  });

  it("filters the organisation's log through the API and keeps the filter in the URL", async () => {
    const api = handlers();
    server.use(...api.list);
    renderApp("/organisations/1/audit");

    await screen.findByTestId("audit-entry-2", undefined, SLOW);
    // jsdom is as narrow as a phone here: the filters are folded away until asked for.
    await userEvent.click(screen.getByRole("button", { name: "Filters" }));
    await userEvent.click(await screen.findByRole("textbox", { name: "Action" }));
    await userEvent.click(await screen.findByRole("option", { name: "Created", hidden: true }));

    await waitFor(() => expect(screen.queryByTestId("audit-entry-3")).not.toBeInTheDocument());
    expect(api.queries.at(-1)?.get("action")).toBe("CREATE");
    await userEvent.type(screen.getByRole("textbox", { name: "Search the audit log" }), "checkout");
    await waitFor(() => expect(api.queries.at(-1)?.get("search")).toBe("checkout"));
    expect(api.queries.at(-1)?.get("action")).toBe("CREATE");
  });

  it("explains the missing permission instead of asking for a project's log", async () => {
    const api = handlers([]);
    server.use(...api.list.filter((handler) => !String(handler.info.header).includes("/audit/")));
    renderApp("/projects/1/audit");

    expect(await screen.findByText("You cannot read this project's audit log", undefined, SLOW)).toBeInTheDocument();
  });
});
