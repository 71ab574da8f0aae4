import { Anchor, Card, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { PAGE_SIZE, api, unwrap } from "../api/client";
import { EmptyState, ErrorMessage, Loading, PageTitle, Pager, SingleFieldForm } from "../components/common";

export function IdentitiesPage() {
  const { projectId, envKey = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const page = Number(params.get("page") ?? 1);
  const [search, setSearch] = useState(params.get("q") ?? "");
  const [debounced] = useDebouncedValue(search, 300);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const identities = useQuery({
    queryKey: ["identities", envKey, { page, search: debounced }],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/environments/{environment_api_key}/identities/", {
          params: { path: { environment_api_key: envKey }, query: { page, page_size: PAGE_SIZE, q: debounced || undefined } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const [identifier, setIdentifier] = useState("");
  const create = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/environments/{environment_api_key}/identities/", { params: { path: { environment_api_key: envKey } }, body: { identifier } })),
    onSuccess: async (identity) => {
      await queryClient.invalidateQueries({ queryKey: ["identities", envKey] });
      navigate(`/projects/${projectId}/environments/${envKey}/identities/${identity.id}`);
    },
  });
  return (
    <>
      <PageTitle title="Identities" />
      <TextInput
        aria-label="Search identities"
        placeholder='Search by identifier (in "quotes" for an exact match)'
        value={search}
        onChange={(event) => {
          setSearch(event.currentTarget.value);
          setParams(event.currentTarget.value ? { q: event.currentTarget.value } : {}, { replace: true });
        }}
        mb="md"
      />
      {identities.isPending && <Loading label="Loading identities…" />}
      <ErrorMessage error={identities.error} onRetry={() => identities.refetch()} />
      {identities.data && identities.data.count === 0 &&
        (debounced ? (
          <EmptyState title={`No identity matches “${debounced}”`}>Identifiers are matched by any part, ignoring case.</EmptyState>
        ) : (
          <EmptyState title="No identities yet">
            Identities appear when an SDK asks for an identity's flags, or create one below to try a segment or an override.
          </EmptyState>
        ))}
      {identities.data && identities.data.count > 0 && (
        <>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Identifier</Table.Th>
                <Table.Th visibleFrom="sm">First seen</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {identities.data.results.map((identity) => (
                <Table.Tr key={identity.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${projectId}/environments/${envKey}/identities/${identity.id}`} fw={600}>
                      {identity.identifier}
                    </Anchor>
                    {identity.dashboard_alias && (
                      <Text span size="sm" c="dimmed">
                        {" "}
                        ({identity.dashboard_alias})
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td visibleFrom="sm">{new Date(identity.created_date).toLocaleString()}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager page={page} count={identities.data.count} pageSize={PAGE_SIZE} onChange={(next) => setParams({ ...(search ? { q: search } : {}), page: String(next) })} />
        </>
      )}
      <Card withBorder mt="lg">
        <SingleFieldForm
          label="New identity"
          placeholder="user-42"
          value={identifier}
          onChange={setIdentifier}
          submitLabel="Create identity"
          onSubmit={() => create.mutate()}
          error={create.error}
          pending={create.isPending}
          field="identifier"
        />
      </Card>
    </>
  );
}
