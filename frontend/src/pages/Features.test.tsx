import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { baseHandlers, pickerHandlers, feature, page, state } from "../test/fixtures";
import { API, renderApp } from "../test/render";
import { server } from "../test/server";

const FEATURES = "/projects/1/environments/envkey123/features";

function listHandlers(enabled = false) {
  return [
    ...baseHandlers,
    ...pickerHandlers,
    http.get(`${API}/projects/1/features/`, ({ request }) => {
      const search = new URL(request.url).searchParams.get("search") ?? "";
      const all = [feature(11, "new_checkout"), feature(12, "dark_mode")];
      return HttpResponse.json(page(all.filter((item) => item.name.includes(search))));
    }),
    http.get(`${API}/environments/envkey123/featurestates/`, () =>
      HttpResponse.json(page([state(101, 11, enabled, "blue"), state(102, 12, false)])),
    ),
  ];
}

// The list with its filter bar is the heaviest screen to render: on a loaded machine a test takes
// well over the default 15 s, so these get 40 s.
describe("FeaturesPage", { timeout: 40_000 }, () => {
  it("lists the environment's features with their values", async () => {
    server.use(...listHandlers());
    renderApp(FEATURES);

    expect(await screen.findByRole("link", { name: "new_checkout" })).toBeInTheDocument();
    expect(screen.getByText("blue")).toBeInTheDocument();
    expect(screen.getByText("2 in all")).toBeInTheDocument();
  });

  it("turns a flag on at once and keeps it on when the server agrees", async () => {
    let sent: unknown;
    server.use(
      ...listHandlers(),
      http.patch(`${API}/environments/envkey123/featurestates/102/`, async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json(state(102, 12, true));
      }),
    );
    renderApp(FEATURES);
    const toggle = await screen.findByRole("switch", { name: "dark_mode enabled" });

    await userEvent.click(toggle);

    expect(toggle).toBeChecked();
    await waitFor(() => expect(sent).toEqual({ enabled: true }));
    expect(toggle).toBeChecked();
  });

  it("moves the switch back and says why when the server refuses", async () => {
    let release: () => void = () => {};
    const answered = new Promise<void>((resolve) => (release = resolve));
    server.use(
      ...listHandlers(),
      http.patch(`${API}/environments/envkey123/featurestates/102/`, async () => {
        await answered;
        return HttpResponse.json({ detail: "You do not have permission to perform this action." }, { status: 403 });
      }),
    );
    renderApp(FEATURES);
    const toggle = await screen.findByRole("switch", { name: "dark_mode enabled" });

    await userEvent.click(toggle);
    expect(toggle).toBeChecked(); // optimistic, before the answer
    release();

    await waitFor(() => expect(toggle).not.toBeChecked());
    const row = screen.getByTestId("feature-row-dark_mode");
    expect(within(row).getByRole("alert")).toHaveTextContent("Not changed: You do not have permission to perform this action.");
  });

  it("says what to do next when the project has no feature", async () => {
    server.use(
      ...baseHandlers,
    ...pickerHandlers,
      http.get(`${API}/projects/1/features/`, () => HttpResponse.json(page([]))),
      http.get(`${API}/environments/envkey123/featurestates/`, () => HttpResponse.json(page([]))),
    );
    renderApp(FEATURES);

    expect(await screen.findByText("No features yet")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Create your first feature" })).toBeInTheDocument();
  });

  it("searches by name", async () => {
    server.use(...listHandlers());
    renderApp(FEATURES);
    await screen.findByRole("link", { name: "dark_mode" });

    await userEvent.type(screen.getByRole("textbox", { name: "Search features" }), "dark");

    await waitFor(() => expect(screen.queryByRole("link", { name: "new_checkout" })).not.toBeInTheDocument(), { timeout: 4000 });
    expect(screen.getByRole("link", { name: "dark_mode" })).toBeInTheDocument();
  });

  it("shows the API's message beside the name of a feature it refuses", async () => {
    server.use(
      ...listHandlers(),
      http.post(`${API}/projects/1/features/`, () =>
        HttpResponse.json({ name: ["A feature with this name already exists in the project."] }, { status: 400 }),
      ),
    );
    renderApp(FEATURES);
    await userEvent.click(await screen.findByRole("button", { name: "Create feature" }));
    const dialog = await screen.findByRole("dialog");
    await userEvent.type(within(dialog).getByRole("textbox", { name: /^Name/ }), "dark_mode");

    await userEvent.click(within(dialog).getByRole("button", { name: "Create feature" }));

    const name = within(dialog).getByRole("textbox", { name: /^Name/ });
    await waitFor(() => expect(name).toHaveAttribute("aria-invalid", "true"));
    expect(within(dialog).getByText("A feature with this name already exists in the project.")).toBeInTheDocument();
  });

  it("opens a shared filtered address as it was: tags (all of them), archived shown, state", async () => {
    server.use(
      http.get(`${API}/projects/1/features/`, () =>
        HttpResponse.json(
          page([
            feature(11, "new_checkout", { tags: [1, 2] }),
            feature(12, "dark_mode", { tags: [1] }),
            feature(13, "old_banner", { tags: [1, 2], is_archived: true }),
          ]),
        ),
      ),
      http.get(`${API}/environments/envkey123/featurestates/`, () =>
        HttpResponse.json(page([state(101, 11, true), state(102, 12, true), state(103, 13, true)])),
      ),
      http.get(`${API}/projects/1/tags/`, () =>
        HttpResponse.json(page([{ id: 1, uuid: "t1", label: "ui", color: "#e03131", description: null, project: 1 }, { id: 2, uuid: "t2", label: "beta", color: "#3d4db6", description: null, project: 1 }])),
      ),
      ...baseHandlers,
      ...pickerHandlers,
    );
    renderApp(`${FEATURES}?tags=1,2&tag_strategy=all&archived=show&enabled=on`);

    expect(await screen.findByRole("link", { name: "new_checkout" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "old_banner" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "dark_mode" })).not.toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Archived" })).toHaveValue("Include archived");
    expect(screen.getByRole("textbox", { name: "State" })).toHaveValue("On in this environment");
    expect(within(screen.getByTestId("feature-row-old_banner")).getByText("archived")).toBeInTheDocument();
  });
});
