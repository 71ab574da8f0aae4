// Shared queries: the objects the layout and several screens need.
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "./client";

export const keys = {
  organisations: ["organisations"] as const,
  projects: (orgId: number) => ["projects", orgId] as const,
  project: (projectId: number) => ["project", projectId] as const,
  environments: (projectId: number) => ["environments", projectId] as const,
  features: (projectId: number) => ["features", projectId] as const,
  featureStates: (envKey: string) => ["feature-states", envKey] as const,
  segments: (projectId: number) => ["segments", projectId] as const,
};

export function useOrganisations() {
  return useQuery({
    queryKey: keys.organisations,
    queryFn: () => unwrap(api.GET("/api/v1/organisations/", { params: { query: { page_size: 100 } } })),
  });
}

export function useProjects(orgId: number | undefined) {
  return useQuery({
    queryKey: keys.projects(orgId ?? 0),
    queryFn: () => unwrap(api.GET("/api/v1/projects/", { params: { query: { organisation: orgId! } } })),
    enabled: Boolean(orgId),
  });
}

export function useProject(projectId: number | undefined) {
  return useQuery({
    queryKey: keys.project(projectId ?? 0),
    queryFn: () => unwrap(api.GET("/api/v1/projects/{id}/", { params: { path: { id: String(projectId!) } } })),
    enabled: Boolean(projectId),
  });
}

export function useEnvironments(projectId: number | undefined) {
  return useQuery({
    queryKey: keys.environments(projectId ?? 0),
    queryFn: () =>
      unwrap(api.GET("/api/v1/projects/{id}/environments/", { params: { path: { id: String(projectId!) } } })),
    enabled: Boolean(projectId),
  });
}

/** Every feature of a project (pages of 1000 until done): the list filters them in the browser. */
export function useAllFeatures(projectId: number | undefined) {
  return useQuery({
    queryKey: [...keys.features(projectId ?? 0), "all"],
    enabled: Boolean(projectId),
    queryFn: async () => {
      const all: Schemas["Feature"][] = [];
      for (let page = 1; ; page += 1) {
        const data = await unwrap(
          api.GET("/api/v1/projects/{project_pk}/features/", {
            params: { path: { project_pk: String(projectId!) }, query: { page, page_size: 1000 } },
          }),
        );
        all.push(...data.results);
        if (!data.next) return all;
      }
    },
  });
}

export function useTags(projectId: number | undefined) {
  return useQuery({
    queryKey: ["tags", projectId ?? 0],
    enabled: Boolean(projectId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_pk}/tags/", { params: { path: { project_pk: String(projectId!) }, query: { page_size: 1000 } } }),
      ).then((page) => page.results),
  });
}

export function useMembers(orgId: number | undefined) {
  return useQuery({
    queryKey: ["members", orgId ?? 0],
    enabled: Boolean(orgId),
    queryFn: () => unwrap(api.GET("/api/v1/organisations/{organisation_pk}/users/", { params: { path: { organisation_pk: String(orgId!) } } })),
  });
}

export function useGroupSummaries(orgId: number | undefined) {
  return useQuery({
    queryKey: ["group-summaries", orgId ?? 0],
    enabled: Boolean(orgId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/organisations/{organisation_pk}/groups/summaries/", { params: { path: { organisation_pk: String(orgId!) } } })),
  });
}

/**
 * The ids of a feature's owners or group owners. The API reads them as objects ({id, email…} or
 * {id, name}) and writes them as ids; the schema types both as ids, so accept either.
 */
export function idsOf(items: unknown[] | undefined): number[] {
  return (items ?? []).map((item) => (typeof item === "number" ? item : Number((item as { id: number }).id)));
}

export const activeMethodsKey = ["mfa-active-methods"] as const;

/** The caller's active second factors (``[]`` when two-factor sign-in is off). */
export function useActiveMethods(enabled = true) {
  return useQuery({
    queryKey: activeMethodsKey,
    queryFn: () => unwrap(api.GET("/api/v1/auth/mfa/user-active-methods/")),
    enabled,
  });
}

/** Names of the caller's organisations that require two-factor sign-in. */
export function useOrganisationsRequiringTwoFactor(): string[] {
  const organisations = useOrganisations();
  return (organisations.data?.results ?? []).filter((org) => org.force_2fa).map((org) => org.name);
}
