// The grants of one scope (organisation, project or environment) to users and groups:
// list, grant, change and revoke, with the keys offered from the API's permissions/ listing.
import { Badge, Button, Checkbox, Group, Modal, Select, SimpleGrid, Stack, Table, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import {
  createGrant,
  deleteGrant,
  keyLabel,
  listGrants,
  permissionKeys,
  updateGrant,
  useGroupSummaries,
  useMembers,
  usePermissionKeys,
  type Grant,
  type GrantBody,
  type GrantScope,
  type Grantee,
} from "../api/permissions";
import { ConfirmButton, ErrorMessage, FormError, Loading, fieldError } from "./common";

interface Row {
  grantee: Grantee;
  grant: Grant;
  name: string;
}

/** The keys a grant holds, and its admin flag: the part of the form shared by "grant" and "change". */
function KeysFields({
  scope,
  value,
  onChange,
  error,
  idPrefix,
}: {
  scope: GrantScope;
  value: GrantBody;
  onChange: (next: GrantBody) => void;
  error: unknown;
  idPrefix: string;
}) {
  const keys = usePermissionKeys(scope.kind);
  const where = scope.kind === "project" ? "project and all its environments" : "environment";
  return (
    <Stack gap="xs">
      {scope.kind !== "organisation" && (
        <Checkbox
          id={`${idPrefix}-admin`}
          label={`Admin: every permission on this ${where}, including its permissions`}
          checked={Boolean(value.admin)}
          onChange={(event) => onChange({ ...value, admin: event.currentTarget.checked })}
          error={fieldError(error, "admin")}
        />
      )}
      {keys.isPending && <Loading label="Loading the permissions…" />}
      <ErrorMessage error={keys.error} />
      {keys.data && (
        <Checkbox.Group
          label="Permissions"
          description={value.admin ? "An admin holds all of these." : undefined}
          value={value.admin ? keys.data.map((key) => key.key) : value.permissions}
          onChange={(permissions) => onChange({ ...value, permissions })}
          error={fieldError(error, "permissions")}
        >
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" verticalSpacing={6} mt={6}>
            {keys.data.map((key) => (
              <Checkbox
                key={key.key}
                value={key.key}
                disabled={Boolean(value.admin)}
                label={keyLabel(key.key)}
                description={key.description}
              />
            ))}
          </SimpleGrid>
        </Checkbox.Group>
      )}
    </Stack>
  );
}

function grantBody(scope: GrantScope, body: GrantBody): GrantBody {
  // An admin's keys are implied; send none so that removing "admin" later leaves nothing behind.
  if (scope.kind === "organisation") return { permissions: body.permissions };
  return body.admin ? { admin: true, permissions: [] } : { admin: false, permissions: body.permissions };
}

/**
 * Grants on ``scope``; ``orgId`` supplies the users and groups to choose from. Only for
 * admins of the scope (the caller checks my-permissions first: the API refuses the rest).
 */
export function GrantsSection({ scope, orgId, scopeName }: { scope: GrantScope; orgId: number; scopeName: string }) {
  const queryClient = useQueryClient();
  const members = useMembers(orgId);
  const groups = useGroupSummaries(orgId);
  const userGrants = useQuery({ queryKey: permissionKeys.grants(scope, "user"), queryFn: () => listGrants(scope, "user") });
  const groupGrants = useQuery({ queryKey: permissionKeys.grants(scope, "group"), queryFn: () => listGrants(scope, "group") });
  const [editing, setEditing] = useState<Row | null>(null);

  const memberName = (id: number | undefined) => members.data?.find((member) => member.id === id)?.email ?? `user #${id}`;
  const groupName = (id: number | undefined) => groups.data?.find((group) => group.id === id)?.name ?? `group #${id}`;
  const rows: Row[] = [
    ...(userGrants.data ?? []).map((grant) => ({ grantee: "user" as const, grant, name: memberName(grant.user) })),
    ...(groupGrants.data ?? []).map((grant) => ({ grantee: "group" as const, grant, name: groupName(grant.group) })),
  ];
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ["grants", scope.kind] });
    await queryClient.invalidateQueries({ queryKey: ["my-permissions"] });
  };
  const taken = new Set(rows.map((row) => `${row.grantee}:${row.grantee === "user" ? row.grant.user : row.grant.group}`));

  return (
    <Stack gap="sm">
      {(userGrants.isPending || groupGrants.isPending) && <Loading label="Loading the grants…" />}
      <ErrorMessage error={userGrants.error ?? groupGrants.error} onRetry={() => void refresh()} />
      {userGrants.data && groupGrants.data && rows.length === 0 && (
        <Text size="sm" c="dimmed">
          Nobody holds a permission on {scopeName} yet (organisation admins hold every permission). Grant one below.
        </Text>
      )}
      {rows.length > 0 && (
        // No sideways scrolling: at phone width the buttons stack instead of leaving the screen.
        <Table verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>User or group</Table.Th>
                <Table.Th>Permissions</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={`${row.grantee}-${row.grant.id}`} data-testid={`grant-${row.name}`}>
                  <Table.Td>
                    <Text size="sm">{row.name}</Text>
                    {row.grantee === "group" && (
                      <Badge size="xs" variant="light" color="grape">
                        group
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {row.grant.admin && (
                        <Badge color="red" variant="light">
                          Admin
                        </Badge>
                      )}
                      {!row.grant.admin &&
                        (row.grant.permissions ?? []).map((key) => (
                          <Badge key={key} variant="outline" size="sm" tt="none">
                            {keyLabel(key)}
                          </Badge>
                        ))}
                      {!row.grant.admin && (row.grant.permissions ?? []).length === 0 && (
                        <Text size="sm" c="dimmed">
                          none
                        </Text>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" justify="flex-end">
                      <Button size="xs" variant="default" onClick={() => setEditing(row)} aria-label={`Change the permissions of ${row.name}`}>
                        Change
                      </Button>
                      <ConfirmButton
                        size="xs"
                        label="Revoke"
                        aria-label={`Revoke the permissions of ${row.name}`}
                        title={`Revoke every permission of ${row.name} on ${scopeName}?`}
                        message="They keep what they hold through the organisation, the project or their groups."
                        confirmLabel="Revoke"
                        onConfirm={async () => {
                          await deleteGrant(scope, row.grantee, row.grant.id);
                          await refresh();
                        }}
                      />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
        </Table>
      )}
      <NewGrantForm
        scope={scope}
        options={[
          {
            group: "Users",
            items: (members.data ?? [])
              .filter((member) => member.role !== "ADMIN" && !taken.has(`user:${member.id}`))
              .map((member) => ({ value: `user:${member.id}`, label: member.email })),
          },
          {
            group: "Groups",
            items: (groups.data ?? [])
              .filter((group) => !taken.has(`group:${group.id}`))
              .map((group) => ({ value: `group:${group.id}`, label: group.name })),
          },
        ]}
        onDone={refresh}
      />
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing ? `Permissions of ${editing.name}` : ""} centered size="lg">
        {editing && <EditGrantForm scope={scope} row={editing} onDone={async () => { await refresh(); setEditing(null); }} onCancel={() => setEditing(null)} />}
      </Modal>
    </Stack>
  );
}

function NewGrantForm({
  scope,
  options,
  onDone,
}: {
  scope: GrantScope;
  options: { group: string; items: { value: string; label: string }[] }[];
  onDone: () => Promise<void>;
}) {
  const [who, setWho] = useState<string | null>(null);
  const [body, setBody] = useState<GrantBody>({ permissions: [], admin: false });
  const grant = useMutation({
    mutationFn: () => {
      const [grantee, id] = (who ?? ":").split(":");
      return createGrant(scope, grantee as Grantee, Number(id), grantBody(scope, body));
    },
    onSuccess: async () => {
      setWho(null);
      setBody({ permissions: [], admin: false });
      await onDone();
    },
  });
  const nobody = options.every((option) => option.items.length === 0);
  const grantee = who?.split(":")[0];
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        grant.mutate();
      }}
    >
      <Stack gap="sm" p="sm" style={{ border: "1px solid var(--mantine-color-gray-3)", borderRadius: 4 }}>
        <Text fw={600} size="sm">
          Grant permissions
        </Text>
        <Select
          label="User or group"
          placeholder={nobody ? "Everyone already has a grant here" : "Choose a member or a group"}
          description="Organisation admins are not listed: they hold every permission."
          data={options.filter((option) => option.items.length > 0)}
          value={who}
          onChange={setWho}
          searchable
          nothingFoundMessage="No member or group by that name"
          error={fieldError(grant.error, grantee ?? "user") ?? fieldError(grant.error, grantee === "user" ? "group" : "user")}
        />
        <KeysFields scope={scope} value={body} onChange={setBody} error={grant.error} idPrefix={`new-${scope.kind}`} />
        <FormError error={grant.error} fields={["user", "group", "permissions", "admin"]} />
        <Group>
          <Button type="submit" loading={grant.isPending} disabled={!who}>
            Grant
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function EditGrantForm({ scope, row, onDone, onCancel }: { scope: GrantScope; row: Row; onDone: () => Promise<void>; onCancel: () => void }) {
  const [body, setBody] = useState<GrantBody>({ permissions: row.grant.permissions ?? [], admin: Boolean(row.grant.admin) });
  const save = useMutation({
    mutationFn: () => updateGrant(scope, row.grantee, row.grant.id, grantBody(scope, body)),
    onSuccess: onDone,
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <Stack>
        <KeysFields scope={scope} value={body} onChange={setBody} error={save.error} idPrefix={`edit-${row.grant.id}`} />
        <FormError error={save.error} fields={["permissions", "admin"]} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            Save permissions
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
