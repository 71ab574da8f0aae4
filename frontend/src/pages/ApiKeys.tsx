import { Alert, Badge, Button, Card, Checkbox, Code, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { useGroupSummaries, useMyPermissions } from "../api/permissions";
import { useOrganisations } from "../api/queries";
import { ConfirmButton, CopyField, EmptyState, ErrorMessage, FormError, Loading, PageTitle, fieldError } from "../components/common";

type ApiKey = Schemas["OrganisationAPIKey"];

function status(key: ApiKey): { label: string; color: string } {
  if (key.revoked) return { label: "revoked", color: "gray" };
  if (key.has_expired) return { label: "expired", color: "orange" };
  return { label: "active", color: "teal" };
}

/** Organisation API keys (``Authorization: Api-Key …``) for scripts and Terraform; admins only. */
export function ApiKeysPage() {
  const orgId = Number(useParams().orgId);
  const path = { organisation_pk: String(orgId) };
  const organisations = useOrganisations();
  const organisation = organisations.data?.results.find((item) => item.id === orgId);
  const my = useMyPermissions({ kind: "organisation", id: orgId });
  const isAdmin = Boolean(my.data?.admin);
  const groups = useGroupSummaries(orgId);
  const queryClient = useQueryClient();
  const listKey = ["master-api-keys", orgId];
  const keys = useQuery({
    queryKey: listKey,
    enabled: isAdmin,
    queryFn: () => unwrap(api.GET("/api/v1/organisations/{organisation_pk}/master-api-keys/", { params: { path } })),
  });
  const [name, setName] = useState("");
  const [admin, setAdmin] = useState(true);
  const [group, setGroup] = useState<string | null>(null);
  const [expiry, setExpiry] = useState("");
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/organisations/{organisation_pk}/master-api-keys/", {
          params: { path },
          body: {
            name,
            is_admin: admin,
            group: admin || !group ? null : Number(group),
            // The end of the chosen day, in the browser's time zone.
            expiry_date: expiry ? new Date(`${expiry}T23:59:59`).toISOString() : null,
          },
        }),
      ),
    onSuccess: async (key) => {
      setCreated(key.key ? { name: key.name, key: key.key } : null);
      setName("");
      setExpiry("");
      setGroup(null);
      setAdmin(true);
      await queryClient.invalidateQueries({ queryKey: listKey });
    },
  });
  const revoke = (key: ApiKey) =>
    unwrap(api.PATCH("/api/v1/organisations/{organisation_pk}/master-api-keys/{prefix}/", { params: { path: { ...path, prefix: key.prefix } }, body: { revoked: true } }));
  const groupName = (id: number | null | undefined) => groups.data?.find((item) => item.id === id)?.name ?? `group #${id}`;

  return (
    <>
      <PageTitle title={organisation ? `API keys · ${organisation.name}` : "API keys"} />
      <Stack>
        {my.isPending && <Loading />}
        <ErrorMessage error={my.error} />
        {my.data && !isAdmin && (
          <Alert color="gray" title="Only organisation admins manage API keys">
            Ask an admin of this organisation for a key for your script or Terraform.
          </Alert>
        )}
        {isAdmin && (
          <Card withBorder>
            <Stack gap="sm">
              <Title order={4}>Organisation API keys</Title>
              <Text size="sm" c="dimmed">
                For scripts, CI and Terraform, sent as <Code>Authorization: Api-Key &lt;key&gt;</Code>. An admin key acts as an
                organisation admin; any other key holds the permissions of its group. Each key is shown once, when it is created.
              </Text>
              {keys.isPending && <Loading label="Loading keys…" />}
              <ErrorMessage error={keys.error} onRetry={() => keys.refetch()} />
              {keys.data && keys.data.length === 0 && (
                <EmptyState title="No API key yet">Create one below for each script or service that changes flags.</EmptyState>
              )}
              {keys.data && keys.data.length > 0 && (
                <Table.ScrollContainer minWidth={620}>
                  <Table>
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Name</Table.Th>
                        <Table.Th>Key</Table.Th>
                        <Table.Th>Acts as</Table.Th>
                        <Table.Th>Created</Table.Th>
                        <Table.Th>Expires</Table.Th>
                        <Table.Th />
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {keys.data.map((key) => {
                        const state = status(key);
                        return (
                          <Table.Tr key={key.id} data-testid={`api-key-${key.name}`}>
                            <Table.Td>
                              {key.name}{" "}
                              <Badge size="xs" variant="light" color={state.color}>
                                {state.label}
                              </Badge>
                            </Table.Td>
                            <Table.Td>
                              <Code>{key.prefix}.…</Code>
                            </Table.Td>
                            <Table.Td>{key.is_admin ? "Organisation admin" : `Group ${groupName(key.group)}`}</Table.Td>
                            <Table.Td>{new Date(key.created).toLocaleDateString()}</Table.Td>
                            <Table.Td>{key.expiry_date ? new Date(key.expiry_date).toLocaleDateString() : "never"}</Table.Td>
                            <Table.Td>
                              <Group gap="xs" justify="flex-end" wrap="nowrap">
                                {!key.revoked && (
                                  <ConfirmButton
                                    size="xs"
                                    label="Revoke"
                                    aria-label={`Revoke the API key ${key.name}`}
                                    title={`Revoke the API key ${key.name}?`}
                                    message="Requests with it are refused at once. The key stays listed, and the audit log keeps its name."
                                    confirmLabel="Revoke"
                                    onConfirm={async () => {
                                      await revoke(key);
                                      await queryClient.invalidateQueries({ queryKey: listKey });
                                    }}
                                  />
                                )}
                                {key.revoked && (
                                  <ConfirmButton
                                    size="xs"
                                    variant="subtle"
                                    label="Delete"
                                    aria-label={`Delete the API key ${key.name}`}
                                    title={`Delete the API key ${key.name}?`}
                                    message="It disappears from this list; audit entries made with it no longer name it."
                                    onConfirm={async () => {
                                      await unwrap(
                                        api.DELETE("/api/v1/organisations/{organisation_pk}/master-api-keys/{prefix}/", {
                                          params: { path: { ...path, prefix: key.prefix } },
                                        }),
                                      );
                                      await queryClient.invalidateQueries({ queryKey: listKey });
                                    }}
                                  />
                                )}
                              </Group>
                            </Table.Td>
                          </Table.Tr>
                        );
                      })}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
              {created && (
                <Alert color="teal" title="Copy this key now: it will not be shown again" data-testid="new-api-key">
                  <Stack gap="xs">
                    <CopyField label={`New API key ${created.name}`} value={created.key} />
                    <Button size="xs" variant="light" w="fit-content" onClick={() => setCreated(null)}>
                      I have copied it
                    </Button>
                  </Stack>
                </Alert>
              )}
              <form
                onSubmit={(event) => {
                  event.preventDefault();
                  create.mutate();
                }}
              >
                <Stack gap="sm" p="sm" style={{ border: "1px solid var(--mantine-color-gray-3)", borderRadius: 4 }}>
                  <Text fw={600} size="sm">
                    Create an API key
                  </Text>
                  <Group align="flex-start" wrap="wrap">
                    <TextInput
                      label="Name of the new key"
                      placeholder="terraform"
                      value={name}
                      onChange={(event) => setName(event.currentTarget.value)}
                      error={fieldError(create.error, "name")}
                      style={{ flex: 1, minWidth: 220 }}
                    />
                    <TextInput
                      label="Expires on (optional)"
                      type="date"
                      value={expiry}
                      onChange={(event) => setExpiry(event.currentTarget.value)}
                      error={fieldError(create.error, "expiry_date")}
                      w={180}
                    />
                  </Group>
                  <Checkbox
                    label="Admin key: acts as an organisation admin"
                    checked={admin}
                    onChange={(event) => setAdmin(event.currentTarget.checked)}
                  />
                  {!admin && (
                    <Select
                      label="Group"
                      description="The key holds this group's permissions."
                      placeholder={groups.data?.length ? "Choose a group" : "No group yet: create one under Permissions"}
                      data={(groups.data ?? []).map((item) => ({ value: String(item.id), label: item.name }))}
                      value={group}
                      onChange={setGroup}
                      error={fieldError(create.error, "group")}
                      maw={360}
                    />
                  )}
                  <FormError error={create.error} fields={["name", "expiry_date", "group"]} />
                  <Group>
                    <Button type="submit" loading={create.isPending}>
                      Create API key
                    </Button>
                  </Group>
                </Stack>
              </form>
            </Stack>
          </Card>
        )}
      </Stack>
    </>
  );
}
