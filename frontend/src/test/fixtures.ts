import { http, HttpResponse } from "msw";
import { API } from "./render";

export const environment = {
  id: 5,
  uuid: "e",
  name: "Development",
  api_key: "envkey123",
  description: "",
  project: 1,
  created_date: "2026-01-01T00:00:00Z",
  minimum_change_request_approvals: null,
  allow_client_traits: true,
  banner_text: null,
  banner_colour: null,
  hide_disabled_flags: false,
  use_mv_v2_evaluation: true,
  use_identity_composite_key_for_hashing: true,
  hide_sensitive_data: false,
  use_identity_overrides_in_local_eval: false,
  use_v2_feature_versioning: false,
};

export function feature(id: number, name: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    uuid: `f${id}`,
    name,
    type: "STANDARD",
    description: "",
    initial_value: null,
    default_enabled: false,
    is_server_key_only: false,
    is_archived: false,
    created_date: "2026-01-01T00:00:00Z",
    project: 1,
    multivariate_options: [],
    tags: [],
    owners: [],
    ...extra,
  };
}

export function state(id: number, featureId: number, enabled: boolean, value: unknown = null) {
  return {
    id,
    uuid: `s${id}`,
    feature: featureId,
    environment: 5,
    identity: null,
    feature_segment: null,
    enabled,
    feature_state_value: value,
    multivariate_feature_state_values: [],
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  };
}

const page = <T,>(results: T[]) => ({ count: results.length, next: null, previous: null, results });

/** The signed-in user, their organisation, project 1 and its Development environment. */
export const baseHandlers = [
  http.get(`${API}/auth/users/me/`, () => HttpResponse.json({ id: 1, email: "olive@example.com", first_name: "Olive", last_name: "", username: "", is_superuser: false, date_joined: "2026-01-01T00:00:00Z", last_login: null })),
  http.get(`${API}/organisations/`, () => HttpResponse.json(page([{ id: 1, uuid: "o", name: "Acme", role: "ADMIN" }]))),
  http.get(`${API}/projects/1/`, () => HttpResponse.json({ id: 1, name: "Web shop", organisation: 1, prevent_flag_defaults: true })),
  http.get(`${API}/projects/1/environments/`, () => HttpResponse.json([environment])),
];

/** What the features list asks for beside its features: tags, members and groups (none here). */
export const pickerHandlers = [
  http.get(`${API}/projects/1/tags/`, () => HttpResponse.json(page([]))),
  http.get(`${API}/organisations/1/users/`, () => HttpResponse.json([])),
  http.get(`${API}/organisations/1/groups/summaries/`, () => HttpResponse.json([])),
];

export { page };
