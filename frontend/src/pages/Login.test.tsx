import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { baseHandlers } from "../test/fixtures";
import { API, renderApp } from "../test/render";
import { server } from "../test/server";

describe("signing in", () => {
  it("sends a signed-out visitor of a deep link to the login page", async () => {
    renderApp("/projects/1/segments", { token: null });

    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
  });

  it("says why a login failed", async () => {
    server.use(
      http.post(`${API}/auth/login/`, () =>
        HttpResponse.json({ non_field_errors: ["Unable to log in with provided credentials."] }, { status: 400 }),
      ),
    );
    renderApp("/login", { token: null });
    await userEvent.type(screen.getByRole("textbox", { name: /Email/ }), "olive@example.com");
    await userEvent.type(screen.getByLabelText(/Password/), "wrong");

    await userEvent.click(screen.getByRole("button", { name: "Log in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Unable to log in with provided credentials.");
    expect(screen.getByRole("alert")).toHaveTextContent("Login failed");
    expect(screen.getByRole("alert")).not.toHaveTextContent("Not saved");
  });

  it("logs in with the returned token and lands on the organisation", async () => {
    server.use(
      ...baseHandlers,
      http.post(`${API}/auth/login/`, () => HttpResponse.json({ key: "new-token" })),
      http.get(`${API}/projects/`, () => HttpResponse.json([])),
    );
    renderApp("/login", { token: null });
    await userEvent.type(screen.getByRole("textbox", { name: /Email/ }), "olive@example.com");
    await userEvent.type(screen.getByLabelText(/Password/), "a-long-passphrase");

    await userEvent.click(screen.getByRole("button", { name: "Log in" }));

    expect(await screen.findByText("No project yet")).toBeInTheDocument();
    expect(window.localStorage.getItem("banderole.token")).toBe("new-token");
  });

  it("shows the password rules' message beside the password on sign-up", async () => {
    server.use(
      http.post(`${API}/auth/users/`, () => HttpResponse.json({ password: ["This password is too common."] }, { status: 400 })),
    );
    renderApp("/signup", { token: null });
    await userEvent.type(screen.getByRole("textbox", { name: /Email/ }), "olive@example.com");
    await userEvent.type(screen.getByLabelText(/^Password/), "password");

    await userEvent.click(screen.getByRole("button", { name: "Create account" }));

    const message = await screen.findByText("This password is too common.");
    // Mantine ties the message to the field it is about.
    expect(screen.getByLabelText(/^Password/).getAttribute("aria-describedby")).toContain(message.id);
  });

  it("does not offer sign-up when the deployment prevents it", async () => {
    renderApp("/login", { token: null, config: { allow_signup: false } });

    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Create an account" })).not.toBeInTheDocument();
  });
});
