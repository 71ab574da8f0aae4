import { Alert, Anchor, Badge, Button, Card, Checkbox, Group, Select, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { holds, permissionKeys, useGroups, useMembers, useMyPermissions } from "../api/permissions";
import { useOrganisations, useProjects } from "../api/queries";
import { useAuth } from "../auth";
import { GrantsSection } from "../components/Grants";
import { ConfirmButton, EmptyState, ErrorMessage, FormError, Loading, PageTitle, fieldError } from "../components/common";
import { YourPermissions } from "./ProjectPermissions";

type UserGroup = Schemas["UserPermissionGroup"];

/** User groups, the organisation's own permissions, and the way to each project's. */
export function OrganisationPermissionsPage() {
  const orgId = Number(useParams().orgId);
  const organisations = useOrganisations();
  const organisation = organisations.data?.results.find((item) => item.id === orgId);
  const my = useMyPermissions({ kind: "organisation", id: orgId });
  const groups = useGroups(orgId);
  const projects = useProjects(orgId);
  const manageGroups = holds(my.data, "MANAGE_USER_GROUPS");

  return (
    <>
      <PageTitle title={organisation ? `Permissions · ${organisation.name}` : "Permissions"}>
        {my.data && <YourPermissions admin={my.data.admin} permissions={my.data.permissions} />}
      </PageTitle>
      <Stack>
        <Card withBorder>
          <Stack gap="sm">
            <Title order={4}>User groups</Title>
            <Text size="sm" c="dimmed">
              Grant permissions to a group once, then add people to it. Group admins can add and remove the group's members.
            </Text>
            {(groups.isPending || my.isPending) && <Loading label="Loading groups…" />}
            <ErrorMessage error={groups.error ?? my.error} onRetry={() => groups.refetch()} />
            {groups.data && groups.data.results.length === 0 && (
              <EmptyState title="No groups yet">
                {manageGroups ? "Create one below, for example “Developers” or “QA”." : "You belong to no group. Groups you join appear here."}
              </EmptyState>
            )}
            {!manageGroups && my.data && groups.data && groups.data.results.length > 0 && (
              <Text size="sm" c="dimmed">
                You see the groups you belong to. Only organisation admins and holders of “Manage user groups” see every group.
              </Text>
            )}
            {groups.data?.results.map((group) => (
              <GroupCard key={group.id} orgId={orgId} group={group} manageGroups={manageGroups} />
            ))}
            {manageGroups && <NewGroupForm orgId={orgId} />}
          </Stack>
        </Card>
        <Card withBorder>
          <Stack gap="sm">
            <Title order={4}>Organisation permissions</Title>
            <Text size="sm" c="dimmed">
              Creating projects and managing user groups. Organisation admins (see Members) hold every permission.
            </Text>
            {my.data?.admin ? (
              <GrantsSection scope={{ kind: "organisation", id: orgId }} orgId={orgId} scopeName="the organisation" />
            ) : (
              my.data && <Alert color="gray">Only organisation admins can see and change these.</Alert>
            )}
          </Stack>
        </Card>
        <Card withBorder>
          <Stack gap="sm">
            <Title order={4}>Project and environment permissions</Title>
            {projects.isPending && <Loading />}
            <ErrorMessage error={projects.error} />
            {projects.data && projects.data.length === 0 && <Text size="sm" c="dimmed">No project yet.</Text>}
            <Group gap="md">
              {projects.data?.map((project) => (
                <Anchor key={project.id} component={Link} to={`/projects/${project.id}/permissions`}>
                  Permissions of {project.name}
                </Anchor>
              ))}
            </Group>
          </Stack>
        </Card>
      </Stack>
    </>
  );
}

function NewGroupForm({ orgId }: { orgId: number }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [isDefault, setIsDefault] = useState(false);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/organisations/{organisation_pk}/groups/", {
          params: { path: { organisation_pk: String(orgId) } },
          body: { name, is_default: isDefault },
        }),
      ),
    onSuccess: async () => {
      setName("");
      setIsDefault(false);
      await queryClient.invalidateQueries({ queryKey: permissionKeys.groups(orgId) });
    },
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate();
      }}
    >
      <Group align="flex-end" wrap="wrap">
        <TextInput
          label="New group"
          placeholder="Developers"
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          error={fieldError(create.error, "name")}
          style={{ flex: 1, minWidth: 220 }}
        />
        <Checkbox
          label="New members join it"
          checked={isDefault}
          onChange={(event) => setIsDefault(event.currentTarget.checked)}
          mb={8}
        />
        <Button type="submit" loading={create.isPending}>
          Create group
        </Button>
      </Group>
      <FormError error={create.error} fields={["name"]} />
    </form>
  );
}

function GroupCard({ orgId, group, manageGroups }: { orgId: number; group: UserGroup; manageGroups: boolean }) {
  const queryClient = useQueryClient();
  const { user } = useAuth();
  const members = useMembers(orgId);
  const path = { organisation_pk: String(orgId), id: String(group.id) };
  const iAmGroupAdmin = group.users.some((member) => member.id === user?.id && member.group_admin);
  const canChangeMembers = manageGroups || iAmGroupAdmin;
  const refresh = () => queryClient.invalidateQueries({ queryKey: permissionKeys.groups(orgId) });
  const [adding, setAdding] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: (id: number) => unwrap(api.POST("/api/v1/organisations/{organisation_pk}/groups/{id}/add-users/", { params: { path }, body: { user_ids: [id] } })),
    onSuccess: async () => {
      setAdding(null);
      await refresh();
    },
  });
  const setAdmin = useMutation({
    mutationFn: ({ id, admin }: { id: number; admin: boolean }) => {
      const userPath = { params: { path: { ...path, user_pk: String(id) } } };
      return admin
        ? unwrap(api.POST("/api/v1/organisations/{organisation_pk}/groups/{id}/users/{user_pk}/make-admin/", userPath))
        : unwrap(api.POST("/api/v1/organisations/{organisation_pk}/groups/{id}/users/{user_pk}/remove-admin/", userPath));
    },
    onSettled: refresh,
  });
  const inGroup = new Set(group.users.map((member) => member.id));
  const candidates = (members.data ?? []).filter((member) => !inGroup.has(member.id));

  return (
    <Card withBorder p="sm" data-testid={`group-${group.name}`}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap">
          <Group gap="xs">
            <Title order={5}>{group.name}</Title>
            {group.is_default && (
              <Badge size="xs" variant="light">
                new members join
              </Badge>
            )}
            <Text size="sm" c="dimmed">
              {group.users.length} {group.users.length === 1 ? "member" : "members"}
            </Text>
          </Group>
          {manageGroups && (
            <ConfirmButton
              size="xs"
              label="Delete group"
              aria-label={`Delete the group ${group.name}`}
              title={`Delete the group ${group.name}?`}
              message="Its members lose the permissions granted to the group, and API keys scoped to it stop working."
              onConfirm={async () => {
                await unwrap(api.DELETE("/api/v1/organisations/{organisation_pk}/groups/{id}/", { params: { path } }));
                await refresh();
              }}
            />
          )}
        </Group>
        <ErrorMessage error={setAdmin.error} title="Group admin not changed" />
        {group.users.length > 0 && (
          <Table.ScrollContainer minWidth={420}>
            <Table verticalSpacing={4}>
              <Table.Tbody>
                {group.users.map((member) => (
                  <Table.Tr key={member.id}>
                    <Table.Td>{member.email}</Table.Td>
                    <Table.Td>
                      <Switch
                        size="sm"
                        label="Group admin"
                        aria-label={`${member.email} is an admin of ${group.name}`}
                        checked={member.group_admin}
                        disabled={!manageGroups || setAdmin.isPending}
                        onChange={(event) => setAdmin.mutate({ id: member.id, admin: event.currentTarget.checked })}
                      />
                    </Table.Td>
                    <Table.Td ta="right">
                      {canChangeMembers && (
                        <ConfirmButton
                          size="xs"
                          label="Remove"
                          aria-label={`Remove ${member.email} from ${group.name}`}
                          title={`Remove ${member.email} from ${group.name}?`}
                          message="They lose the permissions granted to the group (not those granted to them directly)."
                          confirmLabel="Remove"
                          onConfirm={async () => {
                            await unwrap(
                              api.POST("/api/v1/organisations/{organisation_pk}/groups/{id}/remove-users/", { params: { path }, body: { user_ids: [member.id] } }),
                            );
                            await refresh();
                          }}
                        />
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {canChangeMembers && (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              if (adding) add.mutate(Number(adding));
            }}
          >
            <Group align="flex-end" wrap="wrap">
              <Select
                label={`Add a member to ${group.name}`}
                placeholder={candidates.length ? "Choose a member" : "Every member is in this group"}
                data={candidates.map((member) => ({ value: String(member.id), label: member.email }))}
                value={adding}
                onChange={setAdding}
                searchable
                disabled={candidates.length === 0}
                error={fieldError(add.error, "user_ids")}
                style={{ flex: 1, minWidth: 220 }}
              />
              <Button type="submit" variant="light" disabled={!adding} loading={add.isPending}>
                Add
              </Button>
            </Group>
            <FormError error={add.error} fields={["user_ids"]} />
          </form>
        )}
      </Stack>
    </Card>
  );
}
