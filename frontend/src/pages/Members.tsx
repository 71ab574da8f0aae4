import { Alert, Anchor, Badge, Button, Card, Group, Select, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { keys, useOrganisations } from "../api/queries";
import { useAuth } from "../auth";
import { ConfirmButton, CopyField, ErrorMessage, FormError, Loading, PageTitle, fieldError } from "../components/common";

type Role = Schemas["OrganisationRoleEnum"];
const ROLES = [
  { value: "USER", label: "User" },
  { value: "ADMIN", label: "Admin" },
];

export function MembersPage() {
  const orgId = Number(useParams().orgId);
  const path = { organisation_pk: String(orgId) };
  const { user } = useAuth();
  const organisations = useOrganisations();
  const organisation = organisations.data?.results.find((item) => item.id === orgId);
  const isAdmin = organisation?.role === "ADMIN";
  const queryClient = useQueryClient();
  const members = useQuery({
    queryKey: ["members", orgId],
    queryFn: () => unwrap(api.GET("/api/v1/organisations/{organisation_pk}/users/", { params: { path } })),
  });
  const invites = useQuery({
    queryKey: ["invites", orgId],
    enabled: isAdmin,
    queryFn: () => unwrap(api.GET("/api/v1/organisations/{organisation_pk}/invites/", { params: { path, query: { page_size: 100 } } })),
  });
  const links = useQuery({
    queryKey: ["invite-links", orgId],
    enabled: isAdmin,
    queryFn: () => unwrap(api.GET("/api/v1/organisations/{organisation_pk}/invite-links/", { params: { path } })),
  });
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("USER");
  const invite = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/organisations/{organisation_pk}/invites/", { params: { path }, body: { email, role } })),
    onSuccess: async () => {
      setEmail("");
      await queryClient.invalidateQueries({ queryKey: ["invites", orgId] });
    },
  });
  const createLink = useMutation({
    mutationFn: (linkRole: Role) => unwrap(api.POST("/api/v1/organisations/{organisation_pk}/invite-links/", { params: { path }, body: { role: linkRole } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["invite-links", orgId] }),
  });
  const changeRole = useMutation({
    mutationFn: ({ id, role: next }: { id: number; role: Role }) =>
      unwrap(api.POST("/api/v1/organisations/{organisation_pk}/users/{id}/update-role/", { params: { path: { ...path, id: String(id) } }, body: { role: next } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["members", orgId] }),
  });
  const force2fa = useMutation({
    mutationFn: (value: boolean) =>
      unwrap(api.PATCH("/api/v1/organisations/{id}/", { params: { path: { id: String(orgId) } }, body: { force_2fa: value } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.organisations }),
  });
  return (
    <>
      <PageTitle title={organisation ? `Members of ${organisation.name}` : "Members"} />
      <Stack>
        {isAdmin && organisation && (
          <Card withBorder>
            <Stack gap="xs">
              <Switch
                label="Require two-factor sign-in"
                description="Members without it can only set it up (Account → Security) until they do."
                checked={organisation.force_2fa ?? false}
                disabled={force2fa.isPending}
                onChange={(event) => force2fa.mutate(event.currentTarget.checked)}
              />
              <ErrorMessage error={force2fa.error} title="Not saved" />
            </Stack>
          </Card>
        )}
        <Card withBorder>
          <Stack gap="sm">
            <Title order={4}>Members</Title>
            {members.isPending && <Loading />}
            <ErrorMessage error={members.error ?? changeRole.error} title={changeRole.error ? "Role not changed" : undefined} />
            {members.data && (
              <Table.ScrollContainer minWidth={480}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Email</Table.Th>
                      <Table.Th>Role</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {members.data.map((member) => (
                      <Table.Tr key={member.id}>
                        <Table.Td>
                          {member.email}
                          {member.id === user?.id && (
                            <Badge ml="xs" size="xs" variant="light">
                              you
                            </Badge>
                          )}
                        </Table.Td>
                        <Table.Td>
                          {isAdmin && member.id !== user?.id ? (
                            <Select
                              aria-label={`Role of ${member.email}`}
                              data={ROLES}
                              value={member.role}
                              allowDeselect={false}
                              w={120}
                              size="xs"
                              onChange={(next) => next && changeRole.mutate({ id: member.id, role: next as Role })}
                            />
                          ) : (
                            member.role.toLowerCase()
                          )}
                        </Table.Td>
                        <Table.Td ta="right">
                          {isAdmin && member.id !== user?.id && (
                            <ConfirmButton
                              size="xs"
                              label="Remove"
                              aria-label={`Remove ${member.email}`}
                              title={`Remove ${member.email}?`}
                              message="They lose access to every project of this organisation."
                              confirmLabel="Remove"
                              onConfirm={async () => {
                                await unwrap(api.POST("/api/v1/organisations/{id}/remove-users/", { params: { path: { id: String(orgId) } }, body: [{ id: member.id }] }));
                                await queryClient.invalidateQueries({ queryKey: ["members", orgId] });
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
          </Stack>
        </Card>
        {!isAdmin && organisation && (
          <Alert color="gray">Only organisation admins can invite people or change roles.</Alert>
        )}
        {isAdmin && (
          <Card withBorder>
            <Stack gap="sm">
              <Title order={4}>Invites</Title>
              <form
                onSubmit={(event) => {
                  event.preventDefault();
                  invite.mutate();
                }}
              >
                <Group align="flex-start" wrap="wrap">
                  <TextInput
                    label="Invite by email"
                    type="email"
                    placeholder="colleague@example.com"
                    value={email}
                    onChange={(event) => setEmail(event.currentTarget.value)}
                    error={fieldError(invite.error, "email")}
                    style={{ flex: 1, minWidth: 220 }}
                  />
                  <Select label="Role" data={ROLES} value={role} allowDeselect={false} onChange={(next) => setRole((next as Role) ?? "USER")} w={120} />
                  <Button type="submit" mt={25} loading={invite.isPending}>
                    Send invite
                  </Button>
                </Group>
              </form>
              <FormError error={invite.error} fields={["email"]} />
              {invites.isPending && <Loading />}
              <ErrorMessage error={invites.error} />
              {invites.data && invites.data.results.length === 0 && (
                <Text size="sm" c="dimmed">
                  No pending invites.
                </Text>
              )}
              {invites.data && invites.data.results.length > 0 && (
                <Table>
                  <Table.Tbody>
                    {invites.data.results.map((item) => (
                      <Table.Tr key={item.id}>
                        <Table.Td>{item.email}</Table.Td>
                        <Table.Td>{(item.role ?? "USER").toLowerCase()}</Table.Td>
                        <Table.Td ta="right">
                          <ConfirmButton
                            size="xs"
                            label="Revoke"
                            aria-label={`Revoke the invite for ${item.email}`}
                            title={`Revoke the invite for ${item.email}?`}
                            message="The link in their email stops working."
                            confirmLabel="Revoke"
                            onConfirm={async () => {
                              await unwrap(api.DELETE("/api/v1/organisations/{organisation_pk}/invites/{id}/", { params: { path: { ...path, id: String(item.id) } } }));
                              await queryClient.invalidateQueries({ queryKey: ["invites", orgId] });
                            }}
                          />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
              <Title order={5} mt="sm">
                Invite links
              </Title>
              <Text size="sm" c="dimmed">
                Anyone with a link can join with its role until it expires. After signing up they join at{" "}
                <code>/api/v1/users/join/link/&lt;hash&gt;/</code>.
              </Text>
              <ErrorMessage error={links.error ?? createLink.error} />
              {links.data?.map((link) => (
                <Group key={link.id} align="flex-end" wrap="wrap">
                  <div style={{ flex: 1, minWidth: 260 }}>
                    <CopyField label={`${(link.role ?? "USER").toLowerCase()} link hash`} value={link.hash} description={link.expires_at ? `Expires ${new Date(link.expires_at).toLocaleDateString()}` : "Does not expire"} />
                  </div>
                  <ConfirmButton
                    size="sm"
                    label="Delete"
                    aria-label={`Delete the ${(link.role ?? "USER").toLowerCase()} invite link`}
                    title="Delete this invite link?"
                    message="Nobody else can join with it."
                    onConfirm={async () => {
                      await unwrap(api.DELETE("/api/v1/organisations/{organisation_pk}/invite-links/{id}/", { params: { path: { ...path, id: String(link.id) } } }));
                      await queryClient.invalidateQueries({ queryKey: ["invite-links", orgId] });
                    }}
                  />
                </Group>
              ))}
              <Group>
                <Button variant="light" size="xs" onClick={() => createLink.mutate("USER")} loading={createLink.isPending}>
                  New user link
                </Button>
                <Button variant="light" size="xs" onClick={() => createLink.mutate("ADMIN")} loading={createLink.isPending}>
                  New admin link
                </Button>
              </Group>
            </Stack>
          </Card>
        )}
        <Alert color="blue" variant="light" title="Permissions">
          Members are users or admins of the organisation. What users may do in each project and environment is set under{" "}
          <Anchor component={Link} to={`/organisations/${orgId}/permissions`}>
            Groups &amp; permissions
          </Anchor>
          .
        </Alert>
      </Stack>
    </>
  );
}
