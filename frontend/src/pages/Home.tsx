import { Card, Stack, Text, Title } from "@mantine/core";
import { Navigate } from "react-router";
import { useOrganisations } from "../api/queries";
import { ErrorMessage, Loading } from "../components/common";
import { CreateOrganisationForm } from "./Organisations";

/** Where a signed-in user lands: their first organisation, or the first step of setting one up. */
export function HomePage() {
  const organisations = useOrganisations();
  if (organisations.isPending) return <Loading />;
  if (organisations.error) return <ErrorMessage error={organisations.error} onRetry={() => organisations.refetch()} />;
  const first = organisations.data.results[0];
  if (first) return <Navigate to={`/organisations/${first.id}/projects`} replace />;
  return (
    <Stack maw={640} mx="auto" mt="xl">
      <Title order={2}>Welcome to Banderole</Title>
      <Text>
        Three steps to your first flag: create an organisation, a project in it, and the environments your
        application runs in (a Development and a Production environment are a good start).
      </Text>
      <Card withBorder>
        <CreateOrganisationForm />
      </Card>
    </Stack>
  );
}
