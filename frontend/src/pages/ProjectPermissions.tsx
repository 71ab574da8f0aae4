import { Alert, Badge, Card, Group, Select, Stack, Text, Title } from "@mantine/core";
import { useParams, useSearchParams } from "react-router";
import { keyLabel, useMyPermissions, type GrantScope } from "../api/permissions";
import { useEnvironments, useProject } from "../api/queries";
import { GrantsSection } from "../components/Grants";
import { ErrorMessage, Loading, PageTitle } from "../components/common";

/** Who may do what in a project and in each of its environments. */
export function ProjectPermissionsPage() {
  const projectId = Number(useParams().projectId);
  const project = useProject(projectId);
  const environments = useEnvironments(projectId);
  const [params, setParams] = useSearchParams();
  const where = params.get("environment") ?? "project";
  const environment = environments.data?.find((item) => item.api_key === where);
  const scope: GrantScope | undefined =
    where === "project" ? { kind: "project", id: projectId } : environment ? { kind: "environment", key: environment.api_key } : undefined;
  const my = useMyPermissions(scope);
  const scopeName = environment ? `the ${environment.name} environment` : `the project ${project.data?.name ?? ""}`.trim();

  return (
    <>
      <PageTitle title={project.data ? `Permissions · ${project.data.name}` : "Permissions"} />
      <Stack>
        <Select
          label="Permissions on"
          description="Project permissions cover features, segments and the audit log; environment permissions cover flags and identities."
          data={[
            { value: "project", label: "The project" },
            ...(environments.data ?? []).map((item) => ({ value: item.api_key, label: `Environment: ${item.name}` })),
          ]}
          value={where}
          allowDeselect={false}
          onChange={(value) => setParams(value && value !== "project" ? { environment: value } : {}, { replace: true })}
          maw={420}
        />
        {(project.isPending || environments.isPending || my.isPending) && <Loading />}
        <ErrorMessage error={project.error ?? environments.error ?? my.error} />
        {my.data && (
          <Card withBorder>
            <Stack gap="sm">
              <Group justify="space-between" wrap="wrap">
                <Title order={4}>Who may do what on {scopeName}</Title>
                <YourPermissions admin={my.data.admin} permissions={my.data.permissions} />
              </Group>
              {my.data.admin && project.data ? (
                <GrantsSection key={where} scope={scope!} orgId={project.data.organisation} scopeName={scopeName} />
              ) : (
                <Alert color="gray" title="Only admins can see and change these permissions">
                  Ask an organisation admin, or an admin of {scopeName}, to change who may do what here.
                </Alert>
              )}
            </Stack>
          </Card>
        )}
      </Stack>
    </>
  );
}

export function YourPermissions({ admin, permissions }: { admin: boolean; permissions: string[] }) {
  return (
    <Group gap={4} data-testid="your-permissions">
      <Text size="xs" c="dimmed">
        You:
      </Text>
      {admin ? (
        <Badge color="red" variant="light" size="sm">
          Admin
        </Badge>
      ) : permissions.length === 0 ? (
        <Text size="xs" c="dimmed">
          no permission
        </Text>
      ) : (
        permissions.map((key) => (
          <Badge key={key} variant="outline" size="sm" tt="none">
            {keyLabel(key)}
          </Badge>
        ))
      )}
    </Group>
  );
}
