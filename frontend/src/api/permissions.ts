// Permissions: what the signed-in user may do (my-permissions), the organisation's members
// and groups, and the grants of an organisation, a project or an environment to users
// and groups (user-permissions/, user-group-permissions/).
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "./client";

/** Where grants live: the organisation, one project, or one environment (by its key). */
export type GrantScope =
  | { kind: "organisation"; id: number }
  | { kind: "project"; id: number }
  | { kind: "environment"; key: string };

export type Grantee = "user" | "group";

/** A grant as the API returns it, whichever scope and grantee. */
export interface Grant {
  id: number;
  user?: number;
  group?: number;
  permissions?: string[];
  admin?: boolean;
}

export interface GrantBody {
  permissions: string[];
  /** Projects and environments only; the organisation has no admin flag (its ADMIN role is that). */
  admin?: boolean;
}

export type MyPermissions = Schemas["MyPermissions"];

export const permissionKeys = {
  my: (scope: GrantScope) => ["my-permissions", scope.kind, scope.kind === "environment" ? scope.key : scope.id] as const,
  grants: (scope: GrantScope, grantee: Grantee) =>
    ["grants", scope.kind, scope.kind === "environment" ? scope.key : scope.id, grantee] as const,
  keys: (kind: GrantScope["kind"]) => ["permission-keys", kind] as const,
  members: (orgId: number) => ["members", orgId] as const,
  groups: (orgId: number) => ["groups", orgId] as const,
};

/** What the signed-in user holds on the scope: ``admin`` means every key there. */
export function fetchMyPermissions(scope: GrantScope): Promise<MyPermissions> {
  switch (scope.kind) {
    case "organisation":
      return unwrap(api.GET("/api/v1/organisations/{id}/my-permissions/", { params: { path: { id: String(scope.id) } } }));
    case "project":
      return unwrap(api.GET("/api/v1/projects/{id}/my-permissions/", { params: { path: { id: String(scope.id) } } }));
    case "environment":
      return unwrap(api.GET("/api/v1/environments/{api_key}/my-permissions/", { params: { path: { api_key: scope.key } } }));
  }
}

export function useMyPermissions(scope: GrantScope | undefined) {
  return useQuery({
    queryKey: scope ? permissionKeys.my(scope) : ["my-permissions", "none"],
    queryFn: () => fetchMyPermissions(scope!),
    enabled: Boolean(scope),
  });
}

/** Whether ``my`` allows ``key`` (admins hold every key). */
export function holds(my: MyPermissions | undefined, key: string): boolean {
  return Boolean(my && (my.admin || my.permissions.includes(key)));
}

/** The keys a grant of this kind of scope can hold, with what each allows. */
export function usePermissionKeys(kind: GrantScope["kind"]) {
  return useQuery({
    queryKey: permissionKeys.keys(kind),
    staleTime: Infinity,
    queryFn: () => {
      switch (kind) {
        case "organisation":
          return unwrap(api.GET("/api/v1/organisations/permissions/"));
        case "project":
          return unwrap(api.GET("/api/v1/projects/permissions/"));
        case "environment":
          return unwrap(api.GET("/api/v1/environments/permissions/"));
      }
    },
  });
}

export function useMembers(orgId: number | undefined) {
  return useQuery({
    queryKey: permissionKeys.members(orgId ?? 0),
    enabled: Boolean(orgId),
    // People join through invites at any time: ask again whenever a picker of members appears.
    staleTime: 0,
    queryFn: () => unwrap(api.GET("/api/v1/organisations/{organisation_pk}/users/", { params: { path: { organisation_pk: String(orgId!) } } })),
  });
}

/** The groups the caller may see: every group for those who manage groups, else their own. */
export function useGroups(orgId: number | undefined) {
  return useQuery({
    queryKey: permissionKeys.groups(orgId ?? 0),
    enabled: Boolean(orgId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/organisations/{organisation_pk}/groups/", {
          params: { path: { organisation_pk: String(orgId!) }, query: { page_size: 100 } },
        }),
      ),
  });
}

/** Every group's name (for pickers), visible to every member. */
export function useGroupSummaries(orgId: number | undefined) {
  return useQuery({
    queryKey: [...permissionKeys.groups(orgId ?? 0), "summaries"],
    enabled: Boolean(orgId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/organisations/{organisation_pk}/groups/summaries/", { params: { path: { organisation_pk: String(orgId!) } } })),
  });
}

export async function listGrants(scope: GrantScope, grantee: Grantee): Promise<Grant[]> {
  if (scope.kind === "organisation") {
    const path = { organisation_pk: String(scope.id) };
    return grantee === "user"
      ? unwrap(api.GET("/api/v1/organisations/{organisation_pk}/user-permissions/", { params: { path } }))
      : unwrap(api.GET("/api/v1/organisations/{organisation_pk}/user-group-permissions/", { params: { path } }));
  }
  if (scope.kind === "project") {
    const path = { project_pk: String(scope.id) };
    return grantee === "user"
      ? unwrap(api.GET("/api/v1/projects/{project_pk}/user-permissions/", { params: { path } }))
      : unwrap(api.GET("/api/v1/projects/{project_pk}/user-group-permissions/", { params: { path } }));
  }
  const path = { environment_api_key: scope.key };
  return grantee === "user"
    ? unwrap(api.GET("/api/v1/environments/{environment_api_key}/user-permissions/", { params: { path } }))
    : unwrap(api.GET("/api/v1/environments/{environment_api_key}/user-group-permissions/", { params: { path } }));
}

/** Grant ``body`` to a user or a group (``who`` is its id). */
export async function createGrant(scope: GrantScope, grantee: Grantee, who: number, body: GrantBody): Promise<Grant> {
  if (scope.kind === "organisation") {
    const path = { organisation_pk: String(scope.id) };
    const { permissions } = body;
    return grantee === "user"
      ? unwrap(api.POST("/api/v1/organisations/{organisation_pk}/user-permissions/", { params: { path }, body: { user: who, permissions } }))
      : unwrap(api.POST("/api/v1/organisations/{organisation_pk}/user-group-permissions/", { params: { path }, body: { group: who, permissions } }));
  }
  if (scope.kind === "project") {
    const path = { project_pk: String(scope.id) };
    return grantee === "user"
      ? unwrap(api.POST("/api/v1/projects/{project_pk}/user-permissions/", { params: { path }, body: { user: who, ...body } }))
      : unwrap(api.POST("/api/v1/projects/{project_pk}/user-group-permissions/", { params: { path }, body: { group: who, ...body } }));
  }
  const path = { environment_api_key: scope.key };
  return grantee === "user"
    ? unwrap(api.POST("/api/v1/environments/{environment_api_key}/user-permissions/", { params: { path }, body: { user: who, ...body } }))
    : unwrap(api.POST("/api/v1/environments/{environment_api_key}/user-group-permissions/", { params: { path }, body: { group: who, ...body } }));
}

/** Replace a grant's keys (and admin flag). */
export async function updateGrant(scope: GrantScope, grantee: Grantee, id: number, body: GrantBody): Promise<Grant> {
  const ident = String(id);
  if (scope.kind === "organisation") {
    const path = { organisation_pk: String(scope.id), id: ident };
    const { permissions } = body;
    return grantee === "user"
      ? unwrap(api.PATCH("/api/v1/organisations/{organisation_pk}/user-permissions/{id}/", { params: { path }, body: { permissions } }))
      : unwrap(api.PATCH("/api/v1/organisations/{organisation_pk}/user-group-permissions/{id}/", { params: { path }, body: { permissions } }));
  }
  if (scope.kind === "project") {
    const path = { project_pk: String(scope.id), id: ident };
    return grantee === "user"
      ? unwrap(api.PATCH("/api/v1/projects/{project_pk}/user-permissions/{id}/", { params: { path }, body }))
      : unwrap(api.PATCH("/api/v1/projects/{project_pk}/user-group-permissions/{id}/", { params: { path }, body }));
  }
  const path = { environment_api_key: scope.key, id: ident };
  return grantee === "user"
    ? unwrap(api.PATCH("/api/v1/environments/{environment_api_key}/user-permissions/{id}/", { params: { path }, body }))
    : unwrap(api.PATCH("/api/v1/environments/{environment_api_key}/user-group-permissions/{id}/", { params: { path }, body }));
}

export async function deleteGrant(scope: GrantScope, grantee: Grantee, id: number): Promise<void> {
  const ident = String(id);
  if (scope.kind === "organisation") {
    const path = { organisation_pk: String(scope.id), id: ident };
    await (grantee === "user"
      ? unwrap(api.DELETE("/api/v1/organisations/{organisation_pk}/user-permissions/{id}/", { params: { path } }))
      : unwrap(api.DELETE("/api/v1/organisations/{organisation_pk}/user-group-permissions/{id}/", { params: { path } })));
    return;
  }
  if (scope.kind === "project") {
    const path = { project_pk: String(scope.id), id: ident };
    await (grantee === "user"
      ? unwrap(api.DELETE("/api/v1/projects/{project_pk}/user-permissions/{id}/", { params: { path } }))
      : unwrap(api.DELETE("/api/v1/projects/{project_pk}/user-group-permissions/{id}/", { params: { path } })));
    return;
  }
  const path = { environment_api_key: scope.key, id: ident };
  await (grantee === "user"
    ? unwrap(api.DELETE("/api/v1/environments/{environment_api_key}/user-permissions/{id}/", { params: { path } }))
    : unwrap(api.DELETE("/api/v1/environments/{environment_api_key}/user-group-permissions/{id}/", { params: { path } })));
}

/** A permission key in words: ``VIEW_AUDIT_LOG`` → "View audit log". */
export function keyLabel(key: string): string {
  const words = key.toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
