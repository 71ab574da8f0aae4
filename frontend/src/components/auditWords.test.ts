import { describe, expect, it } from "vitest";
import { fieldLabel, rulesText, valueWords, type AuditNames } from "./auditWords";

const names: AuditNames = {
  feature: new Map([[1, "new_checkout"]]),
  environment: new Map([[5, "Production"]]),
  segment: new Map(),
  project: new Map(),
  user: new Map([[3, "olive@example.com"]]),
  tag: new Map(),
  organisation: new Map([[2, "Acme"]]),
};

describe("the audit log in words", () => {
  it("names objects instead of ids, and says when one is gone", () => {
    expect(valueWords("feature_id", 1, names)).toBe("new_checkout");
    expect(valueWords("environment_id", 5, names)).toBe("Production");
    expect(valueWords("segment_id", 9, names)).toBe("#9 (no longer exists)");
    expect(valueWords("owners", [3], names)).toBe("olive@example.com");
    expect(valueWords("organisation", 2, names)).toBe("Acme");
    expect(fieldLabel("feature_id")).toBe("Feature");
  });

  it("gives value types as text, number and boolean", () => {
    expect(valueWords("type", "unicode", names)).toBe("text");
    expect(valueWords("type", "int", names)).toBe("number");
    expect(valueWords("type", "bool", names)).toBe("boolean");
    expect(valueWords("type", "STANDARD", names)).toBeUndefined();
  });

  it("writes segment rules as a formula", () => {
    const rules = [
      {
        type: "ALL",
        rules: [
          { type: "ANY", conditions: [{ operator: "EQUAL", property: "plan", value: "pro" }] },
          { type: "ANY", conditions: [{ operator: "IN", property: "country", value: "gb,fr" }] },
        ],
      },
    ];
    expect(rulesText(rules)).toBe("plan = pro AND country in gb, fr");
    expect(valueWords("rules", rules, names)).toBe("plan = pro AND country in gb, fr");
    const either = [{ type: "ALL", rules: [{ type: "ANY", conditions: [{ operator: "IS_SET", property: "beta" }, { operator: "PERCENTAGE_SPLIT", value: 10 }] }] }];
    expect(rulesText(either)).toBe("beta is set OR in a 10% split");
    expect(rulesText([{ type: "ALL", rules: [{ type: "NONE", conditions: [{ operator: "EQUAL", property: "plan", value: "free" }] }] }])).toBe("NOT (plan = free)");
  });
});
