import { Anchor, Card, SimpleGrid, Stack, Text } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap } from "../api/client";
import { keys, useOrganisations, useProjects } from "../api/queries";
import { EmptyState, ErrorMessage, Loading, PageTitle, SingleFieldForm } from "../components/common";

export function ProjectsPage() {
  const orgId = Number(useParams().orgId);
  const organisations = useOrganisations();
  const projects = useProjects(orgId);
  const organisation = organisations.data?.results.find((org) => org.id === orgId);
  const [name, setName] = useState("");
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/projects/", { body: { name, organisation: orgId } })),
    onSuccess: async (project) => {
      await queryClient.invalidateQueries({ queryKey: keys.projects(orgId) });
      navigate(`/projects/${project.id}/settings`);
    },
  });
  return (
    <>
      <PageTitle title={organisation ? `Projects of ${organisation.name}` : "Projects"} />
      {projects.isPending && <Loading />}
      <ErrorMessage error={projects.error} onRetry={() => projects.refetch()} />
      {projects.data && projects.data.length === 0 && (
        <EmptyState title="No project yet">
          A project holds the features and segments of one application. Create one below, then add its
          environments.
        </EmptyState>
      )}
      {projects.data && projects.data.length > 0 && (
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} mb="xl">
          {projects.data.map((project) => (
            <Card key={project.id} withBorder>
              <Stack gap={4}>
                <Anchor component={Link} to={`/projects/${project.id}`} fw={600}>
                  {project.name}
                </Anchor>
                <Text size="sm" c="dimmed">
                  Created {new Date(project.created_date).toLocaleDateString()}
                </Text>
              </Stack>
            </Card>
          ))}
        </SimpleGrid>
      )}
      <Card withBorder>
        <SingleFieldForm
          label="Project name"
          placeholder="Web shop"
          value={name}
          onChange={setName}
          submitLabel="Create project"
          onSubmit={() => create.mutate()}
          error={create.error}
          pending={create.isPending}
          field="name"
        />
      </Card>
    </>
  );
}
