import { screen } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { baseHandlers } from "../test/fixtures";
import { API, renderApp } from "../test/render";
import { server } from "../test/server";

describe("an unknown dashboard address", () => {
  it("says the page does not exist and links home instead of redirecting silently", async () => {
    server.use(...baseHandlers, http.get(`${API}/projects/`, () => HttpResponse.json([])));
    renderApp("/no/such/page");

    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeInTheDocument();
    expect(screen.getByText("/no/such/page")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("link", { name: "Go to the dashboard home" }));
    expect(screen.queryByRole("heading", { name: "Page not found" })).not.toBeInTheDocument();
  });
});
