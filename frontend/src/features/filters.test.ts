import { describe, expect, it } from "vitest";
import { feature, state } from "../test/fixtures";
import type { Schemas } from "../api/client";
import { applyFilters, defaultFilters, isFiltered, readFilters, writeFilters } from "./filters";

const features = [
  feature(1, "beta_banner", { tags: [7], owners: [{ id: 3, email: "a@example.com" }], created_date: "2026-03-01T00:00:00Z" }),
  feature(2, "Checkout", { tags: [7, 8], group_owners: [{ id: 4, name: "Devs" }], created_date: "2026-01-01T00:00:00Z" }),
  feature(3, "old_flag", { is_archived: true, created_date: "2026-02-01T00:00:00Z" }),
] as unknown as Schemas["Feature"][];
const states = {
  1: state(11, 1, true, "blue"),
  2: state(12, 2, false, 42),
  3: state(13, 3, true, null),
} as unknown as Record<number, Schemas["FeatureState"]>;
const names = (list: Schemas["Feature"][]) => list.map((item) => item.name);

describe("the features list's filters in the address", () => {
  it("round-trips every filter through the query string", () => {
    const filters = {
      search: "check",
      tags: [7, 8],
      tagStrategy: "all" as const,
      owners: [3],
      groupOwners: [4],
      enabled: "off" as const,
      value: "42",
      archived: "show" as const,
      sort: "created" as const,
      direction: "desc" as const,
      page: 2,
    };
    const query = writeFilters(filters).toString();

    expect(query).toBe("q=check&tags=7%2C8&tag_strategy=all&owner=3&group=4&enabled=off&value=42&archived=show&sort=created&dir=desc&page=2");
    expect(readFilters(new URLSearchParams(query))).toEqual(filters);
  });

  it("writes nothing for the defaults and reads junk as the defaults", () => {
    expect(writeFilters(defaultFilters).toString()).toBe("");
    expect(readFilters(new URLSearchParams("tags=x,,-1&enabled=maybe&archived=1&sort=size&dir=up&page=0"))).toEqual(defaultFilters);
    expect(isFiltered(defaultFilters)).toBe(false);
    expect(isFiltered({ ...defaultFilters, archived: "show" })).toBe(false);
    expect(isFiltered({ ...defaultFilters, enabled: "on" })).toBe(true);
  });
});

describe("applyFilters", () => {
  it("hides archived features unless asked, and can show only them", () => {
    expect(names(applyFilters(features, states, defaultFilters))).toEqual(["beta_banner", "Checkout"]);
    expect(names(applyFilters(features, states, { ...defaultFilters, archived: "show" }))).toEqual(["beta_banner", "Checkout", "old_flag"]);
    expect(names(applyFilters(features, states, { ...defaultFilters, archived: "only" }))).toEqual(["old_flag"]);
  });

  it("filters by tags with any or all of them", () => {
    expect(names(applyFilters(features, states, { ...defaultFilters, tags: [7, 8] }))).toEqual(["beta_banner", "Checkout"]);
    expect(names(applyFilters(features, states, { ...defaultFilters, tags: [7, 8], tagStrategy: "all" }))).toEqual(["Checkout"]);
  });

  it("filters by owner, group owner, state and value", () => {
    expect(names(applyFilters(features, states, { ...defaultFilters, owners: [3] }))).toEqual(["beta_banner"]);
    expect(names(applyFilters(features, states, { ...defaultFilters, groupOwners: [4] }))).toEqual(["Checkout"]);
    expect(names(applyFilters(features, states, { ...defaultFilters, enabled: "on" }))).toEqual(["beta_banner"]);
    expect(names(applyFilters(features, states, { ...defaultFilters, enabled: "off" }))).toEqual(["Checkout"]);
    expect(names(applyFilters(features, states, { ...defaultFilters, value: "4" }))).toEqual(["Checkout"]);
    expect(names(applyFilters(features, states, { ...defaultFilters, value: "BLU" }))).toEqual(["beta_banner"]);
  });

  it("sorts by name in any case, or by created date, either way", () => {
    const all = { ...defaultFilters, archived: "show" as const };
    expect(names(applyFilters(features, states, { ...all, direction: "desc" }))).toEqual(["old_flag", "Checkout", "beta_banner"]);
    expect(names(applyFilters(features, states, { ...all, sort: "created" }))).toEqual(["Checkout", "old_flag", "beta_banner"]);
    expect(names(applyFilters(features, states, { ...all, sort: "created", direction: "desc" }))).toEqual(["beta_banner", "old_flag", "Checkout"]);
  });
});
