// Shared queries: the objects the layout and several screens need.
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "./client";

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
