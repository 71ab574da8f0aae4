import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { baseHandlers } from "../test/fixtures";
import { API, renderApp } from "../test/render";
import { server } from "../test/server";

// Several queries run one after another before the page settles; the machine may be busy.
const SLOW = { timeout: 5000 };

const PAGE = "/projects/1/permissions";

const projectKeys = [
  { key: "VIEW_PROJECT", description: "See the project, its features, segments and tags." },
  { key: "CREATE_FEATURE", description: "Create features in the project." },
  { key: "VIEW_AUDIT_LOG", description: "Read the project's audit log." },
];

function handlers({ admin = true }: { admin?: boolean } = {}) {
  const groupGrants: { id: number; group: number; permissions: string[]; admin: boolean; project: number }[] = [];
  let sent: unknown;
  return {
    sent: () => sent,
    list: [
      ...baseHandlers,
      http.get(`${API}/projects/1/my-permissions/`, () => HttpResponse.json({ admin, permissions: admin ? [] : ["VIEW_PROJECT"] })),
      http.get(`${API}/projects/permissions/`, () => HttpResponse.json(projectKeys)),
      http.get(`${API}/organisations/1/users/`, () =>
        HttpResponse.json([
          { id: 1, email: "olive@example.com", first_name: "Olive", last_name: "", role: "ADMIN" },
          { id: 2, email: "bob@example.com", first_name: "Bob", last_name: "", role: "USER" },
        ]),
      ),
      http.get(`${API}/organisations/1/groups/summaries/`, () => HttpResponse.json([{ id: 7, name: "Developers" }])),
      http.get(`${API}/projects/1/user-permissions/`, () => HttpResponse.json([])),
      http.get(`${API}/projects/1/user-group-permissions/`, () => HttpResponse.json(groupGrants)),
      http.post(`${API}/projects/1/user-group-permissions/`, async ({ request }) => {
        sent = await request.json();
        const body = sent as { group: number; permissions: string[]; admin: boolean };
        groupGrants.push({ id: 31, project: 1, ...body });
        return HttpResponse.json(groupGrants[0], { status: 201 });
      }),
    ],
  };
}

describe("ProjectPermissionsPage", () => {
  it("grants a group the keys chosen from the API's listing, then lists the grant", async () => {
    const api = handlers();
    server.use(...api.list);
    renderApp(PAGE);

    expect(await screen.findByText(/Nobody holds a permission on the project Web shop yet/, undefined, SLOW)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("textbox", { name: /User or group/ }));
    const developers = await screen.findByRole("option", { name: "Developers", hidden: true }, SLOW);
    expect(screen.getByRole("option", { name: "bob@example.com", hidden: true })).toBeInTheDocument();
    // Organisation admins are not offered: they hold everything already.
    expect(screen.queryByRole("option", { name: "olive@example.com", hidden: true })).not.toBeInTheDocument();
    await userEvent.click(developers);
    await userEvent.click(screen.getByRole("checkbox", { name: /View project/ }));
    await userEvent.click(screen.getByRole("checkbox", { name: /Create feature/ }));
    await userEvent.click(screen.getByRole("button", { name: "Grant" }));

    await waitFor(() => expect(api.sent()).toEqual({ group: 7, admin: false, permissions: ["VIEW_PROJECT", "CREATE_FEATURE"] }));
    const row = await screen.findByTestId("grant-Developers", undefined, SLOW);
    expect(within(row).getByText("group")).toBeInTheDocument();
    expect(within(row).getByText("View project")).toBeInTheDocument();
    expect(within(row).getByText("Create feature")).toBeInTheDocument();
  });

  it("shows the API's refusal in words when a grant is refused", async () => {
    const api = handlers();
    server.use(
      ...api.list,
      http.post(`${API}/projects/1/user-permissions/`, () =>
        HttpResponse.json({ detail: "Only an admin may do this." }, { status: 403 }),
      ),
    );
    renderApp(PAGE);

    await userEvent.click(await screen.findByRole("textbox", { name: /User or group/ }, SLOW));
    await userEvent.click(await screen.findByRole("option", { name: "bob@example.com", hidden: true }, SLOW));
    await userEvent.click(screen.getByRole("checkbox", { name: /Admin: every permission/ }));
    await userEvent.click(screen.getByRole("button", { name: "Grant" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Only an admin may do this.");
  });

  it("does not ask for the grants when the user is not an admin there, and says why", async () => {
    // No handler for user-permissions/: a request would fail the test (onUnhandledRequest: error).
    const api = handlers({ admin: false });
    server.use(...api.list.filter((handler) => !String(handler.info.header).includes("user-")));
    renderApp(PAGE);

    expect(await screen.findByText("Only admins can see and change these permissions", undefined, SLOW)).toBeInTheDocument();
    expect(within(screen.getByTestId("your-permissions")).getByText("View project")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Grant" })).not.toBeInTheDocument();
  });
});
