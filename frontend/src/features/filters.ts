// The features list's filters, kept in the URL so a filtered view can be shared and survives a
// reload: ?q=&tags=1,2&tag_strategy=all&owner=3&group=4&enabled=on&value=&archived=show&sort=created&dir=desc&page=2
// Filtering happens here, over every feature of the project and the environment's states.
import type { Schemas } from "../api/client";
import { idsOf } from "../api/queries";

type Feature = Schemas["Feature"];
type FeatureState = Schemas["FeatureState"];

export type Archived = "hide" | "show" | "only";
export type Enabled = "any" | "on" | "off";
export type SortField = "name" | "created";
export type SortDirection = "asc" | "desc";

export interface FeatureFilters {
  search: string;
  tags: number[];
  tagStrategy: "any" | "all";
  owners: number[];
  groupOwners: number[];
  enabled: Enabled;
  value: string;
  archived: Archived;
  sort: SortField;
  direction: SortDirection;
  page: number;
}

export const defaultFilters: FeatureFilters = {
  search: "",
  tags: [],
  tagStrategy: "any",
  owners: [],
  groupOwners: [],
  enabled: "any",
  value: "",
  archived: "hide",
  sort: "name",
  direction: "asc",
  page: 1,
};

function ids(text: string | null): number[] {
  if (!text) return [];
  return text
    .split(",")
    .map((part) => Number(part))
    .filter((id) => Number.isInteger(id) && id > 0);
}

function oneOf<T extends string>(text: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(text as T) ? (text as T) : fallback;
}

/** The filters an address asks for; anything unknown or malformed is the default. */
export function readFilters(params: URLSearchParams): FeatureFilters {
  const page = Number(params.get("page"));
  return {
    search: params.get("q") ?? "",
    tags: ids(params.get("tags")),
    tagStrategy: oneOf(params.get("tag_strategy"), ["any", "all"], "any"),
    owners: ids(params.get("owner")),
    groupOwners: ids(params.get("group")),
    enabled: oneOf(params.get("enabled"), ["any", "on", "off"], "any"),
    value: params.get("value") ?? "",
    archived: oneOf(params.get("archived"), ["hide", "show", "only"], "hide"),
    sort: oneOf(params.get("sort"), ["name", "created"], "name"),
    direction: oneOf(params.get("dir"), ["asc", "desc"], "asc"),
    page: Number.isInteger(page) && page > 1 ? page : 1,
  };
}

/** The address part for some filters: only what differs from the defaults, so plain views stay plain. */
export function writeFilters(filters: FeatureFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.search) params.set("q", filters.search);
  if (filters.tags.length) params.set("tags", filters.tags.join(","));
  if (filters.tags.length && filters.tagStrategy !== "any") params.set("tag_strategy", filters.tagStrategy);
  if (filters.owners.length) params.set("owner", filters.owners.join(","));
  if (filters.groupOwners.length) params.set("group", filters.groupOwners.join(","));
  if (filters.enabled !== "any") params.set("enabled", filters.enabled);
  if (filters.value) params.set("value", filters.value);
  if (filters.archived !== "hide") params.set("archived", filters.archived);
  if (filters.sort !== "name") params.set("sort", filters.sort);
  if (filters.direction !== "asc") params.set("dir", filters.direction);
  if (filters.page > 1) params.set("page", String(filters.page));
  return params;
}

/** Whether anything narrows the list (the archived default does not count). */
export function isFiltered(filters: FeatureFilters): boolean {
  return Boolean(
    filters.search ||
      filters.tags.length ||
      filters.owners.length ||
      filters.groupOwners.length ||
      filters.enabled !== "any" ||
      filters.value ||
      filters.archived === "only",
  );
}

function valueText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The features that pass the filters, in the order asked for (ties by id). */
export function applyFilters(
  features: Feature[],
  states: Record<number, FeatureState> | undefined,
  filters: FeatureFilters,
): Feature[] {
  const search = filters.search.trim().toLowerCase();
  const value = filters.value.trim().toLowerCase();
  const kept = features.filter((feature) => {
    if (filters.archived === "hide" && feature.is_archived) return false;
    if (filters.archived === "only" && !feature.is_archived) return false;
    if (search && !feature.name.toLowerCase().includes(search)) return false;
    const tags = feature.tags ?? [];
    if (filters.tags.length) {
      const has = (id: number) => tags.includes(id);
      if (filters.tagStrategy === "all" ? !filters.tags.every(has) : !filters.tags.some(has)) return false;
    }
    if (filters.owners.length && !filters.owners.some((id) => idsOf(feature.owners).includes(id))) return false;
    if (filters.groupOwners.length && !filters.groupOwners.some((id) => idsOf(feature.group_owners).includes(id))) return false;
    const state = states?.[feature.id];
    if (filters.enabled !== "any") {
      if (!state || Boolean(state.enabled) !== (filters.enabled === "on")) return false;
    }
    if (value && !valueText(state?.feature_state_value).toLowerCase().includes(value)) return false;
    return true;
  });
  const sign = filters.direction === "desc" ? -1 : 1;
  return kept.sort((a, b) => {
    const primary =
      filters.sort === "created"
        ? a.created_date.localeCompare(b.created_date)
        : a.name.toLowerCase().localeCompare(b.name.toLowerCase());
    return sign * (primary || a.id - b.id);
  });
}
