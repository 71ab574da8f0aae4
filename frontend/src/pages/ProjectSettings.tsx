import { Anchor, Badge, Button, Card, Checkbox, Code, Group, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, Navigate, useNavigate, useParams } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { keys, useEnvironments, useProject } from "../api/queries";
import { looksLikeProduction } from "../features/safeChange";
import { ProjectSettingsForm } from "./Settings";
import { ConfirmButton, EmptyState, ErrorMessage, Loading, PageTitle, SingleFieldForm, fieldError } from "../components/common";

/** /projects/:id: straight to the first environment's features, or to creating one. */
export function ProjectHomePage() {
  const projectId = Number(useParams().projectId);
  const environments = useEnvironments(projectId);
  if (environments.isPending) return <Loading />;
  if (environments.error) return <ErrorMessage error={environments.error} onRetry={() => environments.refetch()} />;
  const first = environments.data[0];
  return <Navigate to={first ? `/projects/${projectId}/environments/${first.api_key}/features` : `/projects/${projectId}/settings`} replace />;
}

function CloneButton({ environment, projectId }: { environment: Schemas["Environment"]; projectId: number }) {
  const [name, setName] = useState("");
  const [open, setOpen] = useState(false);
  const queryClient = useQueryClient();
  const clone = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/environments/{api_key}/clone/", { params: { path: { api_key: environment.api_key } }, body: { name } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.environments(projectId) });
      setOpen(false);
      setName("");
    },
  });
  if (!open)
    return (
      <Button size="xs" variant="default" onClick={() => setOpen(true)}>
        Clone
      </Button>
    );
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        clone.mutate();
      }}
    >
      <Group gap="xs" align="flex-start">
        <TextInput
          size="xs"
          aria-label={`Name of the copy of ${environment.name}`}
          placeholder="Name of the copy"
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          error={fieldError(clone.error, "name") ?? (clone.error ? clone.error.message : undefined)}
          autoFocus
        />
        <Button size="xs" type="submit" loading={clone.isPending}>
          Clone
        </Button>
        <Button size="xs" variant="subtle" onClick={() => setOpen(false)}>
          Cancel
        </Button>
      </Group>
    </form>
  );
}

export function ProjectSettingsPage() {
  const projectId = Number(useParams().projectId);
  const project = useProject(projectId);
  const environments = useEnvironments(projectId);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  // Production-like names suggest protection; once the box is touched, the choice is the user's.
  const [protect, setProtect] = useState<boolean | null>(null);
  const protectNew = protect ?? looksLikeProduction(name);
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/environments/", { body: { name, project: projectId, protected: protectNew } })),
    onSuccess: async () => {
      setName("");
      setProtect(null);
      await queryClient.invalidateQueries({ queryKey: keys.environments(projectId) });
    },
  });
  return (
    <>
      <PageTitle title={project.data ? `${project.data.name}: environments and settings` : "Environments"} />
      {environments.isPending && <Loading />}
      <ErrorMessage error={environments.error} onRetry={() => environments.refetch()} />
      {environments.data && environments.data.length === 0 && (
        <EmptyState title="No environment yet">
          Each environment (Development, Staging, Production…) has its own flag values and SDK key. Create
          the first one below.
        </EmptyState>
      )}
      {environments.data && environments.data.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing="sm" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Environment</Table.Th>
                <Table.Th>Client-side key</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {environments.data.map((environment) => (
                <Table.Tr key={environment.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${projectId}/environments/${environment.api_key}/features`}>
                      {environment.name}
                    </Anchor>
                    {environment.protected && (
                      <Badge ml="xs" size="sm" color="orange" variant="light">
                        protected
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Code>{environment.api_key}</Code>
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" justify="flex-end">
                      <CloneButton environment={environment} projectId={projectId} />
                      <ConfirmButton
                        size="xs"
                        label="Delete"
                        aria-label={`Delete environment ${environment.name}`}
                        title={`Delete ${environment.name}?`}
                        message={`Its flag values, identities and SDK keys go with it, and SDKs using its keys stop getting flags. This cannot be undone.`}
                        onConfirm={async () => {
                          await unwrap(api.DELETE("/api/v1/environments/{api_key}/", { params: { path: { api_key: environment.api_key } } }));
                          await queryClient.invalidateQueries({ queryKey: keys.environments(projectId) });
                        }}
                      />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Card withBorder mt="md">
        <SingleFieldForm
          label="New environment"
          placeholder="Production"
          value={name}
          onChange={setName}
          submitLabel="Create environment"
          onSubmit={() => create.mutate()}
          error={create.error}
          pending={create.isPending}
          field="name"
        />
        <Checkbox
          mt="xs"
          label="Protected: confirm every flag change here"
          description={looksLikeProduction(name) && protect === null ? "Suggested for a production environment." : undefined}
          checked={protectNew}
          onChange={(event) => setProtect(event.currentTarget.checked)}
        />
      </Card>
      {project.data && (
        <div style={{ marginTop: "var(--mantine-spacing-xl)" }}>
          <ProjectSettingsForm project={project.data} />
        </div>
      )}
      {project.data && (
        <Card withBorder mt="xl">
          <Stack gap="xs">
            <Title order={4}>Danger zone</Title>
            <Text size="sm">Deleting the project deletes its environments, features, segments and identities.</Text>
            <ConfirmButton
              w="fit-content"
              label="Delete project"
              title={`Delete ${project.data.name}?`}
              message="Every environment, feature, segment and identity of this project is deleted, and SDKs stop getting its flags. This cannot be undone."
              onConfirm={async () => {
                const orgId = project.data.organisation;
                await unwrap(api.DELETE("/api/v1/projects/{id}/", { params: { path: { id: String(projectId) } } }));
                await queryClient.invalidateQueries({ queryKey: keys.projects(orgId) });
                navigate(`/organisations/${orgId}/projects`);
              }}
            />
          </Stack>
        </Card>
      )}
    </>
  );
}
