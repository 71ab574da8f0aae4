import { Anchor, Card, SimpleGrid, Stack, Text } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, unwrap } from "../api/client";
import { keys, useOrganisations } from "../api/queries";
import { EmptyState, ErrorMessage, Loading, PageTitle, SingleFieldForm } from "../components/common";

export function CreateOrganisationForm({ onCreated }: { onCreated?: (id: number) => void }) {
  const [name, setName] = useState("");
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/organisations/", { body: { name } })),
    onSuccess: async (organisation) => {
      await queryClient.invalidateQueries({ queryKey: keys.organisations });
      setName("");
      if (onCreated) onCreated(organisation.id);
      else navigate(`/organisations/${organisation.id}/projects`);
    },
  });
  return (
    <SingleFieldForm
      label="Organisation name"
      placeholder="Acme Ltd"
      value={name}
      onChange={setName}
      submitLabel="Create organisation"
      onSubmit={() => create.mutate()}
      error={create.error}
      pending={create.isPending}
      field="name"
    />
  );
}

export function OrganisationsPage() {
  const organisations = useOrganisations();
  return (
    <>
      <PageTitle title="Organisations" />
      {organisations.isPending && <Loading />}
      <ErrorMessage error={organisations.error} onRetry={() => organisations.refetch()} />
      {organisations.data && organisations.data.results.length === 0 && (
        <EmptyState title="No organisation yet">
          An organisation holds your projects and your team. Create one to start.
        </EmptyState>
      )}
      {organisations.data && organisations.data.results.length > 0 && (
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} mb="xl">
          {organisations.data.results.map((organisation) => (
            <Card key={organisation.id} withBorder>
              <Stack gap={4}>
                <Anchor component={Link} to={`/organisations/${organisation.id}/projects`} fw={600}>
                  {organisation.name}
                </Anchor>
                <Text size="sm" c="dimmed">
                  Your role: {organisation.role ?? "member"}
                </Text>
              </Stack>
            </Card>
          ))}
        </SimpleGrid>
      )}
      <Card withBorder mt="md">
        <CreateOrganisationForm />
      </Card>
    </>
  );
}
