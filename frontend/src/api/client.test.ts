import { describe, expect, it } from "vitest";
import { ApiError, apiBaseUrl } from "./client";

describe("ApiError", () => {
  it("says the server's detail in words", () => {
    expect(new ApiError(403, { detail: "You do not have permission to perform this action." }).message).toBe(
      "You do not have permission to perform this action.",
    );
  });

  it("finds a nested field's message, as segment rules report them", () => {
    const error = new ApiError(400, { rules: [{ rules: [{}, { conditions: [{ value: ["Not a valid regular expression."] }] }] }] });

    expect(error.field("rules", 0, "rules", 1, "conditions", 0, "value")).toBe("Not a valid regular expression.");
    expect(error.field("rules", 0, "rules", 0, "conditions", 0, "value")).toBeUndefined();
    expect(error.message).toBe("value: Not a valid regular expression.");
  });

  it("explains an unreachable server and an empty refusal", () => {
    expect(new ApiError(0, null).message).toMatch(/could not be reached/);
    expect(new ApiError(404, null).message).toMatch(/no longer exists/);
    expect(new ApiError(502, "<html>").message).toBe("<html>");
  });
});

describe("apiBaseUrl", () => {
  it("keeps the origin: the generated paths carry /api/v1/ themselves", () => {
    expect(apiBaseUrl("/api/v1/")).toBe("http://localhost:3000");
    expect(apiBaseUrl("https://flags.example.com/api/v1/")).toBe("https://flags.example.com");
  });
});
